/*
 * cli/cmd_generate.c — `lightcone generate --lang typescript --out-dir DIR
 * (--bin-path FILE.wasm | --module-path FOLDER) [--include-private]`.
 *
 * Loads the module through the host (host_module_load runs __describe_module__ and decodes
 * the description), builds the codegen schema once and hands it to the emitter for --lang.
 * --module-path first compiles the folder with sdk/c-module/build-module.sh (the script found
 * in sdk/c-module/ under the working directory, or in $LIGHTCONE_SDK) into a .wasm in a fresh
 * mkdtemp directory
 * that is removed afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/alloc.h"
#include "codegen/codegen.h"
#include "host/module.h"

int cmd_generate(int argc, char **argv);

#define GEN_WASM_MAX (256u << 20) /* a module over 256 MiB is refused before reading it */

static u8 *read_all(const char *path, size_t *out_len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    u8 *p = NULL;
    long n = (fseek(f, 0, SEEK_END) == 0) ? ftell(f) : -1;
    if (n > 0 && (unsigned long)n <= GEN_WASM_MAX && fseek(f, 0, SEEK_SET) == 0) {
        p = lc_alloc((size_t)n);
        if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
            lc_free(p);
            p = NULL;
        }
    }
    fclose(f);
    *out_len = p ? (size_t)n : 0;
    return p;
}

static int build_folder(const char *folder, char *wasm_out, size_t cap)
{
    const char *sdk = getenv("LIGHTCONE_SDK");
    char script[1024];
    snprintf(script, sizeof script, "%s/build-module.sh", sdk ? sdk : "sdk/c-module");
    if (access(script, R_OK) != 0) {
        fprintf(stderr, "lightcone generate: %s not found (set LIGHTCONE_SDK)\n", script);
        return -1;
    }
    char dir[] = "/tmp/lightcone-gen-XXXXXX"; /* private directory: no guessable file */
    if (!mkdtemp(dir)) {
        fprintf(stderr, "lightcone generate: cannot create a temporary directory\n");
        return -1;
    }
    snprintf(wasm_out, cap, "%s/module.wasm", dir);
    pid_t pid = fork();
    if (pid == 0) {
        execlp("sh", "sh", script, folder, wasm_out, (char *)NULL);
        _exit(127);
    }
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "lightcone generate: building %s failed\n", folder);
        unlink(wasm_out);
        *strrchr(wasm_out, '/') = 0;
        rmdir(wasm_out);
        return -1;
    }
    return 0;
}

static int generate(const char *lang, const char *out_dir, const char *wasm_path, bool priv)
{
    const codegen_emitter *em = codegen_emitter_find(lang);
    if (!em) {
        fprintf(stderr, "lightcone generate: unknown --lang '%s' (supported: %s)\n", lang,
                codegen_langs());
        return 2;
    }
    size_t len = 0;
    u8 *wasm = read_all(wasm_path, &len);
    if (!wasm) {
        fprintf(stderr, "lightcone generate: cannot read %s\n", wasm_path);
        return 1;
    }
    lc_errbuf eb = {{0}};
    host_module_opts o = {0, 0};
    host_module *m = NULL;
    codegen_schema *s = NULL;
    int rc = host_module_load(wasm, len, &o, &m, &eb);
    if (rc == 0) rc = codegen_schema_build(host_module_def(m), priv, &s, &eb);
    if (rc == 0) rc = em->emit(s, out_dir, &eb);
    if (rc != 0) fprintf(stderr, "lightcone generate: %s\n", eb.msg);
    else
        printf("generated %s bindings for %u tables, %u reducers, %u procedures in %s\n",
               em->lang, s->table_count, s->reducer_count, s->procedure_count, out_dir);
    codegen_schema_free(s);
    if (m) host_module_destroy(m);
    lc_free(wasm);
    return rc == 0 ? 0 : 1;
}

int cmd_generate(int argc, char **argv)
{
    const char *lang = NULL, *out = NULL, *bin = NULL, *folder = NULL;
    bool priv = false;
    for (int i = 1; i < argc; i++) {
        const char **dst = NULL;
        if (strcmp(argv[i], "--lang") == 0 || strcmp(argv[i], "-l") == 0) dst = &lang;
        else if (strcmp(argv[i], "--out-dir") == 0 || strcmp(argv[i], "-o") == 0) dst = &out;
        else if (strcmp(argv[i], "--bin-path") == 0 || strcmp(argv[i], "-b") == 0) dst = &bin;
        else if (strcmp(argv[i], "--module-path") == 0 || strcmp(argv[i], "-p") == 0)
            dst = &folder;
        else if (strcmp(argv[i], "--include-private") == 0) {
            priv = true;
            continue;
        }
        if (!dst || i + 1 >= argc) {
            fprintf(stderr, "lightcone generate: bad argument '%s'\nusage: lightcone generate "
                            "--lang typescript --out-dir DIR (--bin-path FILE.wasm | "
                            "--module-path FOLDER) [--include-private]\n", argv[i]);
            return 2;
        }
        *dst = argv[++i];
    }
    if (!lang || !out || (!bin == !folder)) {
        fprintf(stderr, "lightcone generate: need --lang, --out-dir and exactly one of "
                        "--bin-path / --module-path\n");
        return 2;
    }
    if (bin) return generate(lang, out, bin, priv);
    if (!codegen_emitter_find(lang)) return generate(lang, out, "", priv);
    char tmp[256];
    if (build_folder(folder, tmp, sizeof tmp) != 0) return 1;
    int rc = generate(lang, out, tmp, priv);
    unlink(tmp);
    *strrchr(tmp, '/') = 0;
    rmdir(tmp);
    return rc;
}
