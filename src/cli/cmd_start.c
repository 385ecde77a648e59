/*
 * cli/cmd_start.c — `lightcone start [--listen-addr HOST:PORT] [--data-dir DIR]
 * [--web-root DIR]`: runs the server in the foreground until SIGINT or SIGTERM.
 *
 * Data directory layout (created on first start, mode 0700):
 *     DIR/keys/id_ecdsa, id_ecdsa.pub   the server's P-256 key pair (net_keys_open_dir); kept
 *                                       across restarts so issued tokens stay valid
 *     DIR/db/<name>/                    one directory per database (server/dbwork.h)
 * Keys and databases live in separate subdirectories so no database name can collide with a
 * key file. The default DIR is $XDG_DATA_HOME/lightcone, else ~/.local/share/lightcone.
 *
 * Startup contract (tests parse it): when the socket is listening, exactly one line
 *     lightcone: listening on http://HOST:PORT
 * goes to stderr (PORT is the real port when 0 was asked). Every other line on stderr is a
 * structured log line (base/log.h; level from $LIGHTCONE_LOG).
 *
 * Signals: SIGINT/SIGTERM/SIGHUP are blocked before any thread starts (threads inherit the
 * mask) and the main thread waits for them with sigwait, so no handler runs inside the loop
 * or the database worker. server_stop then closes every database (host_db_close flushes the
 * commit log and the module log) and the process exits 0.
 */
#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "cli/cli.h"
#include "net/token.h"
#include "server/server.h"

typedef struct start_opts {
    char host[256];
    u16 port;
    char data_dir[PATH_MAX];
    const char *web_root;
    bool http_private;
} start_opts;

static void start_usage(FILE *f)
{
    fprintf(f, "usage: lightcone start [--listen-addr HOST:PORT] [--data-dir DIR] "
               "[--web-root DIR] [--allow-private-http]\n"
               "  --listen-addr  address to listen on (default 127.0.0.1:3000; port 0 = any)\n"
               "  --data-dir     keys and databases (default ~/.local/share/lightcone)\n"
               "  --web-root     serve static files from DIR for paths outside /v1/\n"
               "  --allow-private-http  procedures may call loopback and private addresses\n"
               "                 (refused by default, as SpacetimeDB does)\n");
}

/* "HOST:PORT", ":PORT" or "PORT"; "localhost" means 127.0.0.1 (the listener is IPv4). */
int cli_parse_listen_addr(const char *s, char *host, size_t host_cap, u16 *out_port)
{
    const char *colon = strrchr(s, ':');
    const char *ps = colon ? colon + 1 : s;
    size_t hl = colon ? (size_t)(colon - s) : 0;
    char *end = NULL;
    errno = 0;
    unsigned long p = strtoul(ps, &end, 10);
    if (!*ps || *end || errno || p > 65535 || hl >= host_cap) return -1;
    if (hl == 0 || (hl == 9 && memcmp(s, "localhost", 9) == 0)) {
        snprintf(host, host_cap, "127.0.0.1");
    } else {
        memcpy(host, s, hl);
        host[hl] = 0;
    }
    *out_port = (u16)p;
    return 0;
}

/* mkdir -p with mode 0700 for the directories it creates. */
int cli_mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) return -1;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST) return -1;
    struct stat st;
    return stat(tmp, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

static int default_data_dir(char *out, size_t cap)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && *xdg) n = snprintf(out, cap, "%s/lightcone", xdg);
    else if (home && *home) n = snprintf(out, cap, "%s/.local/share/lightcone", home);
    else return -1;
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

static int start_parse(int argc, char **argv, start_opts *o)
{
    memset(o, 0, sizeof o[0]);
    snprintf(o->host, sizeof o->host, "127.0.0.1");
    o->port = 3000;
    const char *dd = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            start_usage(stdout);
            return 1;
        } else if ((!strcmp(a, "--listen-addr") || !strcmp(a, "-l")) && v) {
            if (cli_parse_listen_addr(v, o->host, sizeof o->host, &o->port))
                return cli_fail("start", "bad --listen-addr '%s' (want HOST:PORT)", v), -1;
            i++;
        } else if (!strcmp(a, "--data-dir") && v) {
            dd = v;
            i++;
        } else if (!strcmp(a, "--web-root") && v) {
            o->web_root = v;
            i++;
        } else if (!strcmp(a, "--allow-private-http")) {
            o->http_private = true;
        } else {
            return cli_fail("start", "unexpected argument '%s' (see --help)", a), -1;
        }
    }
    if (dd) {
        if (snprintf(o->data_dir, sizeof o->data_dir, "%s", dd) >= (int)sizeof o->data_dir)
            return cli_fail("start", "--data-dir is too long"), -1;
    } else if (default_data_dir(o->data_dir, sizeof o->data_dir)) {
        return cli_fail("start", "no --data-dir and neither $XDG_DATA_HOME nor $HOME is set"), -1;
    }
    struct stat st;
    if (o->web_root && (stat(o->web_root, &st) != 0 || !S_ISDIR(st.st_mode)))
        return cli_fail("start", "--web-root %s is not a directory", o->web_root), -1;
    return 0;
}

static int wait_for_signal(const sigset_t *set)
{
    int sig = 0;
    while (sigwait(set, &sig) != 0) {
    }
    return sig;
}

int cmd_start(int argc, char **argv)
{
    start_opts o;
    int prc = start_parse(argc, argv, &o);
    if (prc) return prc > 0 ? 0 : 2;
    char keys_dir[PATH_MAX + 8], db_dir[PATH_MAX + 8];
    snprintf(keys_dir, sizeof keys_dir, "%s/keys", o.data_dir);
    snprintf(db_dir, sizeof db_dir, "%s/db", o.data_dir);
    if (cli_mkdir_p(o.data_dir) || cli_mkdir_p(db_dir))
        return cli_fail("start", "cannot create the data directory %s: %s", o.data_dir,
                        strerror(errno)), 1;
    lc_errbuf eb;
    net_keys *keys = NULL;
    if (net_keys_open_dir(keys_dir, &keys, &eb))
        return cli_fail("start", "keys in %s: %s", keys_dir, eb.msg), 1;

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    server_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.host = o.host;
    cfg.port = o.port;
    cfg.keys = keys;
    cfg.issuer = "localhost";
    cfg.data_dir = db_dir;
    cfg.web_root = o.web_root;
    cfg.http_allow_private = o.http_private;
    server *srv = NULL;
    if (server_start(&cfg, &srv, &eb)) {
        net_keys_destroy(keys);
        return cli_fail("start", "%s", eb.msg), 1;
    }
    LC_LOG_I("cli", "data directory %s", o.data_dir);
    fprintf(stderr, "lightcone: listening on http://%s:%u\n", o.host, server_port(srv));
    fflush(stderr);
    int sig = wait_for_signal(&set);
    LC_LOG_I("cli", "signal %d: shutting down", sig);
    server_stop(srv);
    net_keys_destroy(keys);
    LC_LOG_I("cli", "stopped");
    return 0;
}
