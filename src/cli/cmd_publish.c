/*
 * cli/cmd_publish.c — `lightcone publish [NAME] [--bin-path FILE.wasm | --module-path DIR]
 * [-c|--clear] [-s SERVER]` and `lightcone build [--module-path DIR] [-o FILE.wasm]`.
 *
 * publish: POST /v1/database/NAME with the wasm (clear=true with -c: the owner's existing
 * data is deleted first); without NAME, POST /v1/database: a new database known by the
 * identity the server gives it (printed; `lightcone rename` names it later). Without --bin-path the module folder (default ".") is built with
 * sdk/c-module/build-module.sh into a temporary file. The caller's token for the server is
 * used, or minted and saved first, so the publisher is a stable identity that owns the
 * database (only it can republish, delete, read logs or write via SQL).
 */
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"
#include "cli/cli.h"

#define CLI_WASM_MAX (256u << 20)

static void publish_usage(void)
{
    printf("usage: lightcone publish [NAME] [--bin-path FILE.wasm | --module-path DIR] "
           "[-c|--clear] [-s SERVER]\n"
           "  publishes (or updates) database NAME (or, without NAME, a new database known\n"
           "  by its identity; NAME may also be an identity); -c deletes its data first\n");
}

static int publish_send(cli_ctx *x, const char *name, const u8 *wasm, size_t len, bool clear)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/database%s%s%s", name ? "/" : "", name ? name : "",
             clear ? "?clear=true" : "");
    cli_http_resp r;
    int st = cli_req(x, "POST", path, "application/wasm", wasm, len, &r);
    int rc = 0;
    if (st < 0) {
        rc = 1;
    } else if (st != 200) {
        rc = cli_fail_http(x, "publish refused", &r);
    } else {
        json_error_t je;
        json_t *j = json_loadb((const char *)r.body.data, r.body.len, 0, &je);
        json_t *s = json_object_get(j, "Success");
        const char *op = json_string_value(json_object_get(s, "op"));
        const char *id = json_string_value(json_object_get(s, "database_identity"));
        if (op && !strcmp(op, "created") && name)
            printf("Created new database %s with identity: %s\n", name, id ? id : "?");
        else if (op && !strcmp(op, "created"))
            printf("Created new database with identity: %s\n", id ? id : "?");
        else
            printf("Updated database %s (identity %s)\n", name, id ? id : "?");
        json_decref(j);
    }
    cli_http_resp_deinit(&r);
    return rc;
}

int cmd_publish(int argc, char **argv)
{
    const char *name = NULL, *bin = NULL, *folder = NULL, *server = NULL;
    bool clear = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(a)) { publish_usage(); return 0; }
        if ((!strcmp(a, "--bin-path") || !strcmp(a, "-b")) && v) { bin = v; i++; }
        else if ((!strcmp(a, "--module-path") || !strcmp(a, "-p")) && v) { folder = v; i++; }
        else if ((!strcmp(a, "-s") || !strcmp(a, "--server")) && v) { server = v; i++; }
        else if (!strcmp(a, "-c") || !strcmp(a, "--clear") || !strcmp(a, "--delete-data"))
            clear = true;
        else if (a[0] != '-' && !name) name = a;
        else { cli_fail("publish", "unexpected argument '%s' (see --help)", a); return 2; }
    }
    if (bin && folder) {
        cli_fail("publish", "give --bin-path or --module-path, not both");
        return 2;
    }
    char built[256] = "";
    if (!bin) {
        if (cli_build_module("publish", folder ? folder : ".", built, sizeof built)) return 1;
        bin = built;
    }
    size_t len = 0;
    u8 *wasm = cli_read_file(bin, CLI_WASM_MAX, &len);
    if (built[0]) cli_build_cleanup(built);
    if (!wasm) { cli_fail("publish", "cannot read %s", bin); return 1; }
    cli_ctx x;
    int rc = cli_ctx_open(&x, "publish", server, true);
    if (!rc) rc = publish_send(&x, name, wasm, len, clear);
    cli_ctx_close(&x);
    lc_free(wasm);
    return rc;
}

int cmd_build(int argc, char **argv)
{
    const char *folder = ".", *out = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (cli_is_help(a)) {
            printf("usage: lightcone build [--module-path DIR] [-o FILE.wasm]\n");
            return 0;
        }
        if ((!strcmp(a, "--module-path") || !strcmp(a, "-p")) && v) { folder = v; i++; }
        else if ((!strcmp(a, "-o") || !strcmp(a, "--out")) && v) { out = v; i++; }
        else { cli_fail("build", "unexpected argument '%s' (see --help)", a); return 2; }
    }
    char built[256];
    if (cli_build_module("build", folder, built, sizeof built)) return 1;
    char def[512];
    if (!out) {
        const char *base = strrchr(folder, '/');
        base = base && base[1] ? base + 1 : folder;
        snprintf(def, sizeof def, "%s.wasm", strcmp(base, ".") ? base : "module");
        out = def;
    }
    size_t len;
    u8 *w = cli_read_file(built, CLI_WASM_MAX, &len);
    FILE *f = w ? fopen(out, "wb") : NULL;
    int rc = f && fwrite(w, 1, len, f) == len ? 0 : 1;
    if (f && fclose(f)) rc = 1;
    lc_free(w);
    cli_build_cleanup(built);
    if (rc) cli_fail("build", "cannot write %s", out);
    else printf("Built %s (%zu bytes)\n", out, len);
    return rc;
}
