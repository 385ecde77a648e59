/*
 * cli/config.c — the CLI's configuration file (cli/cli.h).
 *
 * Location: $XDG_CONFIG_HOME/lightcone/config.json, else ~/.config/lightcone/config.json
 * (tests point HOME at a temporary directory). Shape:
 *   {"default_server": "local",
 *    "servers": {"local": "http://127.0.0.1:3000", ...},
 *    "tokens": {"http://127.0.0.1:3000": {"token": "<jwt>", "identity": "<hex>"}, ...}}
 * Tokens are per server URL: an identity is minted by, and only valid at, one server's key.
 * The file is written to a temporary and renamed into place, mode 0600 (it holds tokens).
 * A missing file is an empty config with the built-in server "local"; a malformed one is an
 * error (never silently overwritten).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

#define CLI_DEFAULT_URL "http://127.0.0.1:3000"

static int config_path(char *out, size_t cap, bool dir_only)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    int n;
    const char *tail = dir_only ? "" : "/config.json";
    if (xdg && *xdg) n = snprintf(out, cap, "%s/lightcone%s", xdg, tail);
    else if (home && *home) n = snprintf(out, cap, "%s/.config/lightcone%s", home, tail);
    else return -1;
    return n > 0 && (size_t)n < cap ? 0 : -1;
}

int cli_config_load(json_t **out, lc_errbuf *eb)
{
    char path[PATH_MAX];
    *out = NULL;
    if (config_path(path, sizeof path, false))
        return lc_errf(eb, LC_EINVAL, "neither $XDG_CONFIG_HOME nor $HOME is set");
    json_error_t je;
    json_t *c = NULL;
    if (access(path, F_OK) == 0) {
        c = json_load_file(path, 0, &je);
        if (!json_is_object(c)) {
            json_decref(c);
            return lc_errf(eb, LC_EDECODE, "%s is not a valid config file: %s", path, je.text);
        }
    } else {
        c = json_object();
    }
    if (!json_is_object(json_object_get(c, "servers"))) {
        json_t *s = json_object();
        json_object_set_new(s, "local", json_string(CLI_DEFAULT_URL));
        json_object_set_new(c, "servers", s);
    }
    if (!json_is_string(json_object_get(c, "default_server")))
        json_object_set_new(c, "default_server", json_string("local"));
    if (!json_is_object(json_object_get(c, "tokens")))
        json_object_set_new(c, "tokens", json_object());
    *out = c;
    return 0;
}

int cli_config_save(json_t *c, lc_errbuf *eb)
{
    char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX + 8];
    if (config_path(dir, sizeof dir, true) || config_path(path, sizeof path, false))
        return lc_errf(eb, LC_EINVAL, "neither $XDG_CONFIG_HOME nor $HOME is set");
    if (cli_mkdir_p(dir)) return lc_errf(eb, LC_EIO, "cannot create %s: %s", dir, strerror(errno));
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    mode_t old = umask(077);
    int rc = json_dump_file(c, tmp, JSON_INDENT(2) | JSON_SORT_KEYS);
    umask(old);
    if (rc || rename(tmp, path))
        return lc_errf(eb, LC_EIO, "cannot write %s: %s", path, strerror(errno));
    return 0;
}

/* -s argument (nickname or URL) or the default server -> URL. */
int cli_server_url(json_t *c, const char *s, char *out, size_t cap, lc_errbuf *eb)
{
    if (!s) s = json_string_value(json_object_get(c, "default_server"));
    if (!s) s = "local";
    if (strstr(s, "://")) {
        if (strncmp(s, "http://", 7) != 0)
            return lc_errf(eb, LC_ENOTSUP, "only http:// servers are supported, not '%s'", s);
        snprintf(out, cap, "%s", s);
    } else {
        const char *u = json_string_value(json_object_get(json_object_get(c, "servers"), s));
        if (!u) return lc_errf(eb, LC_ENOTFOUND, "no server named '%s' (see 'lightcone server "
                                                 "list')", s);
        snprintf(out, cap, "%s", u);
    }
    size_t n = strlen(out);
    while (n && out[n - 1] == '/') out[--n] = 0; /* paths are appended */
    return 0;
}

const char *cli_token_get(json_t *c, const char *url, const char **out_identity)
{
    json_t *t = json_object_get(json_object_get(c, "tokens"), url);
    if (out_identity) *out_identity = json_string_value(json_object_get(t, "identity"));
    return json_string_value(json_object_get(t, "token"));
}

void cli_token_set(json_t *c, const char *url, const char *token, const char *identity)
{
    json_t *t = json_object();
    json_object_set_new(t, "token", json_string(token));
    if (identity) json_object_set_new(t, "identity", json_string(identity));
    json_object_set_new(json_object_get(c, "tokens"), url, t);
}

/* The token for url; with `create`, a new identity is requested (POST /v1/identity) and
 * saved when there is none. NULL without a token (and without create). */
const char *cli_token_ensure(json_t *c, const char *url, bool create, lc_errbuf *eb, int *rc)
{
    *rc = 0;
    const char *tok = cli_token_get(c, url, NULL);
    if (tok || !create) return tok;
    cli_http_resp r;
    *rc = cli_http(url, "POST", "/v1/identity", NULL, NULL, NULL, 0, NULL, NULL, &r, eb);
    if (!*rc && r.status != 200)
        *rc = lc_errf(eb, LC_EIO, "%s refused a new identity: HTTP %d", url, r.status);
    json_t *j = NULL;
    if (!*rc) {
        json_error_t je;
        j = json_loadb((const char *)r.body.data, r.body.len, 0, &je);
        const char *t = json_string_value(json_object_get(j, "token"));
        const char *id = json_string_value(json_object_get(j, "identity"));
        if (!t || !id) *rc = lc_errf(eb, LC_EDECODE, "bad /v1/identity reply from %s", url);
        else cli_token_set(c, url, t, id);
    }
    json_decref(j);
    cli_http_resp_deinit(&r);
    if (!*rc) *rc = cli_config_save(c, eb);
    return *rc ? NULL : cli_token_get(c, url, NULL);
}
