/*
 * cli/client.c — the shared client-command context (cli/cli.h): config + server + token,
 * one-request helper with uniform error lines, module folder builds, bounded file reads.
 * A module build's compiler diagnostics go to stderr as they come (several lines), followed
 * by the one "building ... failed" line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "cli/cli.h"

bool cli_is_help(const char *a) { return !strcmp(a, "-h") || !strcmp(a, "--help"); }

int cli_ctx_open(cli_ctx *x, const char *cmd, const char *server, bool need_token)
{
    memset(x, 0, sizeof *x);
    x->cmd = cmd;
    lc_errbuf eb;
    int rc;
    if (cli_config_load(&x->cfg, &eb) || cli_server_url(x->cfg, server, x->url, sizeof x->url,
                                                        &eb)) {
        cli_fail(cmd, "%s", eb.msg);
        cli_ctx_close(x);
        return 1;
    }
    x->token = cli_token_ensure(x->cfg, x->url, need_token, &eb, &rc);
    if (rc) {
        cli_fail(cmd, "%s", eb.msg);
        cli_ctx_close(x);
        return 1;
    }
    return 0;
}

void cli_ctx_close(cli_ctx *x)
{
    json_decref(x->cfg);
    x->cfg = NULL;
}

int cli_req(cli_ctx *x, const char *method, const char *path, const char *ctype,
            const void *body, size_t len, cli_http_resp *r)
{
    lc_errbuf eb;
    if (cli_http(x->url, method, path, x->token, ctype, body, len, NULL, NULL, r, &eb)) {
        cli_fail(x->cmd, "%s", eb.msg);
        return -1;
    }
    return r->status;
}

int cli_fail_http(cli_ctx *x, const char *what, const cli_http_resp *r)
{
    const char *b = r->body.len ? (const char *)r->body.data : "";
    int n = (int)strcspn(b, "\n");
    if (n > 400) n = 400;
    cli_fail(x->cmd, "%s: HTTP %d%s%.*s", what, r->status, n ? ": " : "", n, b);
    return 1;
}

u8 *cli_read_file(const char *path, size_t max, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    u8 *p = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n >= 0 && (unsigned long)n <= max && fseek(f, 0, SEEK_SET) == 0) {
        p = lc_alloc((size_t)n + 1);
        if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
            lc_free(p);
            p = NULL;
        }
        if (p) p[n] = 0;
    }
    fclose(f);
    *out_len = p ? (size_t)n : 0;
    return p;
}

int cli_build_module(const char *cmd, const char *folder, char *out, size_t cap)
{
    struct stat fst;
    if (stat(folder, &fst) != 0 || !S_ISDIR(fst.st_mode)) {
        cli_fail(cmd, "module folder %s does not exist", folder);
        return 1;
    }
    const char *sdk = getenv("LIGHTCONE_SDK");
    char script[1024];
    snprintf(script, sizeof script, "%s/build-module.sh", sdk ? sdk : "sdk/c-module");
    if (access(script, R_OK) != 0) {
        cli_fail(cmd, "%s not found (set LIGHTCONE_SDK to the sdk/c-module folder)", script);
        return 1;
    }
    char dir[] = "/tmp/lightcone-build-XXXXXX";
    if (!mkdtemp(dir)) {
        cli_fail(cmd, "cannot create a temporary directory");
        return 1;
    }
    snprintf(out, cap, "%s/module.wasm", dir);
    pid_t pid = fork();
    if (pid == 0) {
        execlp("sh", "sh", script, folder, out, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        cli_fail(cmd, "building %s failed", folder);
        cli_build_cleanup(out);
        return 1;
    }
    return 0;
}

void cli_build_cleanup(char *path)
{
    unlink(path);
    char *s = strrchr(path, '/');
    if (s) {
        *s = 0;
        rmdir(path);
    }
}
