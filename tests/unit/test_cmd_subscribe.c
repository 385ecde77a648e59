/*
 * tests/unit/test_cmd_subscribe.c — `lightcone subscribe` (cli/cmd_subscribe.c) end to end
 * against the in-process server with keynote-bank: the initial rows and one update are printed
 * as JSON lines in the typed form, -n ends the command, a bad query and an unknown database
 * exit 1. The command runs on a thread with stdout redirected to a temp file; the CLI config
 * lives in a temp XDG_CONFIG_HOME so no user file is touched.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/alloc.h"
#include "cli/cli.h"
#include "harness.h"
#include "net_test_util.h"
#include "host/host_test_util.h"
#include "server/server.h"

typedef struct sub_job {
    int rc;
    int argc;
    char *argv[16];
} sub_job;

static void *sub_thread(void *arg)
{
    sub_job *j = arg;
    j->rc = cmd_subscribe(j->argc, j->argv);
    return NULL;
}

static size_t file_text(const char *path, char *out, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(out, 1, cap - 1, f) : 0;
    if (f) fclose(f);
    out[n] = 0;
    return n;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
    (void)sb, (void)flag, (void)f;
    return remove(p);
}

/* Runs `subscribe argv...` with stdout in out_path; while it runs, calls transfer(0, 1, 30)
 * once the initial line is out (if do_transfer). Returns the command's exit code. */
static int run_subscribe(u16 port, sub_job *j, const char *out_path, bool do_transfer)
{
    fflush(stdout);
    int saved = dup(1), fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    close(fd);
    pthread_t th;
    pthread_create(&th, NULL, sub_thread, j);
    char text[4096];
    for (int i = 0; do_transfer && i < 200; i++) {
        fflush(stdout);
        if (file_text(out_path, text, sizeof text) && strchr(text, '\n')) {
            net_test_post(port, "/v1/database/bank/call/transfer", "[0, 1, 30]", 10);
            break;
        }
        usleep(50 * 1000);
    }
    pthread_join(th, NULL);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    return j->rc;
}

TEST(cmd_subscribe_initial_and_update)
{
    size_t wlen = 0;
    u8 *wasm = host_test_wasm("keynote-bank", &wlen);
    CHECK(wasm != NULL);
    char dir[] = "/tmp/lc-test-sub-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char kd[128], out_path[128], url[64], cfg[128];
    snprintf(kd, sizeof kd, "%s/keys", dir);
    snprintf(out_path, sizeof out_path, "%s/out", dir);
    snprintf(cfg, sizeof cfg, "%s/cfg", dir);
    setenv("XDG_CONFIG_HOME", cfg, 1);
    net_keys *keys = NULL;
    CHECK_OK(net_keys_open_dir(kd, &keys, NULL));
    server_config sc = {.keys = keys};
    server *s;
    CHECK_OK(server_start(&sc, &s, NULL));
    u16 port = server_port(s);
    snprintf(url, sizeof url, "http://127.0.0.1:%u", port);
    CHECK_EQ(net_test_post(port, "/v1/database/bank", wasm, wlen), 200);
    CHECK_EQ(net_test_post(port, "/v1/database/bank/call/seed", "[3, 100]", 8), 200);

    sub_job j = {0, 9, {"subscribe", "bank", "SELECT * FROM accounts", "-n", "1", "-t", "20", "-s",
                     url}};
    CHECK_EQ(run_subscribe(port, &j, out_path, true), 0);
    char text[4096];
    file_text(out_path, text, sizeof text);
    char *nl = strchr(text, '\n');
    CHECK(nl != NULL);
    *nl = 0;
    const char *upd = nl + 1;
    CHECK(strncmp(text, "{\"accounts\":{\"deletes\":[],\"inserts\":[", 37) == 0);
    CHECK(strstr(text, "{\"id\":2,\"balance\":100}") != NULL);
    CHECK(strstr(upd, "\"deletes\":[") != NULL);
    CHECK(strstr(upd, "{\"id\":0,\"balance\":100}") != NULL);
    CHECK(strstr(upd, "{\"id\":0,\"balance\":70}") != NULL);
    CHECK(strstr(upd, "{\"id\":1,\"balance\":130}") != NULL);
    CHECK(strchr(upd, '\n') && strchr(upd, '\n')[1] == 0); /* exactly one update line */

    sub_job bad = {0, 7, {"subscribe", "bank", "SELECT * FROM nope", "-t", "5", "-s", url}};
    CHECK_EQ(run_subscribe(port, &bad, out_path, false), 1);
    sub_job nodb = {0, 7, {"subscribe", "nobank", "SELECT * FROM accounts", "-t", "5", "-s", url}};
    CHECK_EQ(run_subscribe(port, &nodb, out_path, false), 1);
    sub_job usage = {0, 2, {"subscribe", "bank"}};
    CHECK_EQ(run_subscribe(port, &usage, out_path, false), 2);

    server_stop(s);
    net_keys_destroy(keys);
    lc_free(wasm);
    unsetenv("XDG_CONFIG_HOME");
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
