/*
 * server/routes_static.c — `lightcone start --web-root DIR`: GET/HEAD of a path outside /v1/
 * serves a file from DIR (server/routes.h).
 *
 * Path sanitizing (server_static_path, unit-tested and fuzzed) works on the DECODED request
 * path, segment by segment:
 *   - the path must start with '/', contain no NUL, no backslash, and no segment "." or "..";
 *     a segment starting with '.' (".git", ".env") is refused too: dotfiles are never served;
 *   - empty segments ("//") are skipped; "/" and a trailing "/" mean index.html;
 *   - the result is root + "/" + segments, bounded by the caller's buffer.
 * Then server_static_serve resolves symlinks (realpath) and serves only a regular file whose
 * real path is still under the real root, so a symlink inside DIR cannot leak outside it.
 * A directory without a trailing slash serves its index.html. Anything refused is 404 (a
 * traversal attempt learns nothing). Files are read whole on the loop thread, bounded by
 * LC_HTTP_BODY_MAX: this is a development convenience for a web client, not a CDN.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/alloc.h"
#include "server/routes.h"

const char *server_static_content_type(const char *path)
{
    static const struct { const char *ext, *type; } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".htm", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".json", "application/json"},
        {".wasm", "application/wasm"},
        {".map", "application/json"},
        {".txt", "text/plain; charset=utf-8"},
        {".ico", "image/x-icon"},
    };
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcmp(dot, types[i].ext) == 0) return types[i].type;
    return "application/octet-stream";
}

int server_static_path(const char *root, const char *path, size_t n, char *out, size_t cap)
{
    if (n == 0 || path[0] != '/' || memchr(path, 0, n) || memchr(path, '\\', n)) return -1;
    size_t rl = strlen(root);
    while (rl > 1 && root[rl - 1] == '/') rl--;
    if (rl + 1 >= cap) return -1;
    memcpy(out, root, rl);
    size_t o = rl;
    size_t i = 0;
    bool last_was_dir = true;
    while (i < n) {
        while (i < n && path[i] == '/') i++;
        size_t s = i;
        while (i < n && path[i] != '/') i++;
        size_t sl = i - s;
        if (sl == 0) break;
        if (path[s] == '.') return -1; /* ".", "..", and dotfiles */
        if (o + 1 + sl >= cap) return -1;
        out[o++] = '/';
        memcpy(out + o, path + s, sl);
        o += sl;
        last_was_dir = i < n; /* a '/' follows */
    }
    if (last_was_dir) {
        static const char idx[] = "/index.html";
        if (o + sizeof idx > cap) return -1;
        memcpy(out + o, idx, sizeof idx);
        return 0;
    }
    out[o] = 0;
    return 0;
}

/* Reads the regular file at real path p (under real root); NULL when it is not servable. */
static u8 *static_read(const char *root_real, const char *p, size_t *out_len)
{
    size_t rl = strlen(root_real);
    if (strncmp(p, root_real, rl) != 0 || (p[rl] != '/' && p[rl] != 0)) return NULL;
    int fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat st;
    u8 *buf = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (u64)st.st_size <= LC_HTTP_BODY_MAX) {
        size_t len = (size_t)st.st_size, got = 0;
        buf = lc_alloc(len + 1);
        while (buf && got < len) {
            ssize_t r = read(fd, buf + got, len - got);
            if (r <= 0) {
                lc_free(buf);
                buf = NULL;
                break;
            }
            got += (size_t)r;
        }
        *out_len = len;
    }
    close(fd);
    return buf;
}

void server_static_serve(const char *root, const net_http_request *req, lc_buf *out)
{
    bool ka = req->keep_alive;
    char want[PATH_MAX], real[PATH_MAX], root_real[PATH_MAX];
    u8 *body = NULL;
    size_t len = 0;
    if (server_static_path(root, req->path, req->path_len, want, sizeof want) == 0 &&
        realpath(root, root_real) && realpath(want, real)) {
        struct stat st;
        if (stat(real, &st) == 0 && S_ISDIR(st.st_mode)) { /* "/docs" -> "/docs/index.html" */
            size_t rl = strlen(real);
            if (rl + sizeof "/index.html" <= sizeof real) {
                memcpy(real + rl, "/index.html", sizeof "/index.html");
                if (!realpath(real, want)) want[0] = 0;
                snprintf(real, sizeof real, "%s", want);
            }
        }
        if (real[0]) body = static_read(root_real, real, &len);
    }
    if (!body) {
        net_http_write_response(out, 404, "text/plain; charset=utf-8", "Not Found", 9, ka, NULL,
                                0);
        return;
    }
    const char *ct = server_static_content_type(real);
    if (req->method == HTTP_HEAD) net_http_write_head(out, 200, ct, len, ka, NULL, 0);
    else net_http_write_response(out, 200, ct, body, len, ka, NULL, 0);
    lc_free(body);
}
