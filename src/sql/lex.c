/*
 * sql/lex.c — the SQL tokenizer: keywords, words, quoted identifiers, numbers, strings, hex
 * literals, parameters, operators, comments (rules in sql/lex.h), plus the positioned error
 * formatter and the UTF-8 check every parse starts with.
 *
 * Every read is bounded by lx->len; a token that runs off the end is an "unterminated ..."
 * error at the token's start. Decoding goes into the arena only (strings and hex are at most
 * as long as their source, so a token never needs more than src_len bytes).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
#include "base/hex.h"
#include "base/limits.h"
#include "sql/lex.h"
#include "sql/sql.h"
#include "value/value.h"

static const struct {
    const char *name;
    u8 len;
    bool is_reserved;
} kw_table[] = {
    /* clang-format off */
    {"", 0, false},
#define SQL_X_KW(name, reserved) {#name, sizeof #name - 1, reserved},
    SQL_KEYWORD_LIST(SQL_X_KW)
#undef SQL_X_KW
    /* clang-format on */
};

bool sql_kw_is_reserved(sql_kw kw) { return kw != SQL_KW_NONE && kw_table[kw].is_reserved; }
const char *sql_kw_name(sql_kw kw) { return kw_table[kw].name; }

static char ascii_upper(char c) { return (c >= 'a' && c <= 'z') ? (char)(c - 32) : c; }

sql_kw sql_kw_lookup(const char *p, u32 n)
{
    if (n < 2 || n > 8) return SQL_KW_NONE;
    char first = ascii_upper(p[0]);
    for (u32 k = 1; k < sizeof kw_table / sizeof kw_table[0]; k++) {
        const char *name = kw_table[k].name;
        if (kw_table[k].len != n || name[0] != first) continue;
        u32 i = 0;
        while (i < n && name[i] && ascii_upper(p[i]) == name[i]) i++;
        if (i == n && name[i] == '\0') return (sql_kw)k;
    }
    return SQL_KW_NONE;
}

int sql_utf8_check(const char *s, u32 n, u32 *out_bad_off)
{
    size_t ok = lc_utf8_valid_prefix(s, n);
    if (ok == n) return 0;
    *out_bad_off = (u32)ok;
    return LC_EUTF8;
}

void sql_pos_from_offset(const char *sql, size_t len, u32 off, u32 *out_line, u32 *out_col)
{
    u32 line = 1, col = 1;
    for (size_t i = 0; i < len && i < off; i++) {
        if (sql[i] == '\n') {
            line++;
            col = 1;
        } else if (((u8)sql[i] & 0xc0) != 0x80) { /* count characters, not UTF-8 bytes */
            col++;
        }
    }
    *out_line = line;
    *out_col = col;
}

/* Copies at most 24 bytes of token text for a message, cutting at a UTF-8 boundary and
 * replacing control characters, so a message is always printable. */
static void near_text(const sql_lexer *lx, const sql_tok *tok, char *out, size_t cap)
{
    u32 n = tok->src_len > 24 ? 24 : tok->src_len;
    while (n > 0 && n < tok->src_len && ((u8)lx->src[tok->off + n] & 0xc0) == 0x80) n--;
    LC_ASSERT(cap > 28);
    size_t k = 0;
    for (u32 i = 0; i < n; i++) {
        char c = lx->src[tok->off + i];
        out[k++] = ((u8)c < 0x20 || c == 0x7f) ? ' ' : c;
    }
    if (n < tok->src_len) {
        out[k++] = '.';
        out[k++] = '.';
        out[k++] = '.';
    }
    out[k] = '\0';
}

int sql_lex_errf(const sql_lexer *lx, int err, const sql_tok *tok, u32 off, const char *fmt, ...)
{
    char msg[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    u32 line, col;
    sql_pos_from_offset(lx->src, lx->len, off, &line, &col);
    if (err != LC_ESYNTAX) return lc_errf(lx->eb, err, "%s (at %u:%u)", msg, line, col);
    if (!tok) return lc_errf(lx->eb, err, "syntax error at %u:%u: %s", line, col, msg);
    if (tok->kind == SQL_TOK_EOF)
        return lc_errf(lx->eb, err, "syntax error at %u:%u near end of input: %s", line, col, msg);
    char near[40];
    near_text(lx, tok, near, sizeof near);
    return lc_errf(lx->eb, err, "syntax error at %u:%u near '%s': %s", line, col, near, msg);
}

void sql_lex_init(sql_lexer *lx, const char *src, u32 len, lc_arena *arena, lc_errbuf *eb)
{
    *lx = (sql_lexer){.src = src, .len = len, .arena = arena, .eb = eb};
}

static bool is_word_start(u8 c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
static bool is_word_char(u8 c) { return is_word_start(c) || (c >= '0' && c <= '9') || c == '$'; }
static bool is_digit(u8 c) { return c >= '0' && c <= '9'; }
static u8 at(const sql_lexer *lx, u32 i) { return i < lx->len ? (u8)lx->src[i] : 0; }

static int err_at(sql_lexer *lx, u32 off, const char *what)
{
    return sql_lex_errf(lx, LC_ESYNTAX, NULL, off, "%s", what);
}

/* Skips whitespace and comments; fails only on an unterminated block comment. */
static int skip_space(sql_lexer *lx)
{
    for (;;) {
        u8 c = at(lx, lx->pos);
        if (lx->pos >= lx->len) return 0;
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            lx->pos++;
        } else if (c == '-' && at(lx, lx->pos + 1) == '-') {
            while (lx->pos < lx->len && lx->src[lx->pos] != '\n') lx->pos++;
        } else if (c == '/' && at(lx, lx->pos + 1) == '*') {
            u32 start = lx->pos, nest = 0;
            do {
                if (lx->pos + 1 >= lx->len) return err_at(lx, start, "unterminated /* comment");
                if (lx->src[lx->pos] == '/' && lx->src[lx->pos + 1] == '*') {
                    nest++;
                    lx->pos += 2;
                } else if (lx->src[lx->pos] == '*' && lx->src[lx->pos + 1] == '/') {
                    nest--;
                    lx->pos += 2;
                } else {
                    lx->pos++;
                }
            } while (nest > 0);
        } else {
            return 0;
        }
    }
}

/* Reads a quote-delimited token starting at lx->pos (the opening quote `q`), decoding the
 * doubled quote. Sets t->val/val_len. */
/* Reads a quote-delimited token starting at lx->pos (the opening quote `q`), decoding the
 * doubled quote. A first pass finds the end and the decoded size, so the arena gets exactly
 * what the value needs (allocating "the rest of the text" per literal would make many small
 * literals cost quadratic memory). Sets t->val/val_len. */
static int lex_quoted(sql_lexer *lx, sql_tok *t, char q, const char *what)
{
    u32 start = lx->pos;
    u32 i = start + 1, n = 0;
    for (;; i++, n++) {
        if (i >= lx->len) return sql_lex_errf(lx, LC_ESYNTAX, NULL, start, "unterminated %s", what);
        if (lx->src[i] == q) {
            if (at(lx, i + 1) != (u8)q) break;
            i++;
        }
    }
    u32 end = i + 1; /* one past the closing quote */
    char *out = lc_arena_alloc(lx->arena, (size_t)n + 1);
    if (!out) return sql_lex_errf(lx, LC_ENOMEM, NULL, start, "out of memory for SQL literal");
    u32 k = 0;
    for (i = start + 1; i < end - 1; i++) {
        out[k++] = lx->src[i];
        if (lx->src[i] == q) i++; /* skip the second quote of a doubled pair */
    }
    LC_ASSERT(k == n);
    out[n] = '\0';
    lx->pos = end;
    t->val = out;
    t->val_len = n;
    return 0;
}

/* Decodes `n` hex digits at src+p into the arena. */
static int hex_decode(sql_lexer *lx, sql_tok *t, u32 p, u32 n)
{
    if (n % 2) return err_at(lx, t->off, "hex literal needs an even number of digits");
    u8 *out = lc_arena_alloc(lx->arena, n / 2 + 1);
    if (!out) return sql_lex_errf(lx, LC_ENOMEM, NULL, t->off, "out of memory for SQL literal");
    for (u32 i = 0; i < n; i += 2) {
        int hi = lc_hex_digit(at(lx, p + i)), lo = lc_hex_digit(at(lx, p + i + 1));
        if (hi < 0 || lo < 0) return err_at(lx, p + i + (hi < 0 ? 0 : 1), "invalid hex digit");
        out[i / 2] = (u8)(hi << 4 | lo);
    }
    t->val = (const char *)out;
    t->val_len = n / 2;
    t->kind = SQL_TOK_HEX;
    return 0;
}

static int lex_hex_string(sql_lexer *lx, sql_tok *t)
{
    lx->pos++; /* X */
    u32 start = lx->pos + 1;
    u32 end = start;
    while (end < lx->len && lx->src[end] != '\'') end++;
    if (end >= lx->len) return err_at(lx, t->off, "unterminated hex string");
    lx->pos = end + 1;
    return hex_decode(lx, t, start, end - start);
}

static int lex_number(sql_lexer *lx, sql_tok *t)
{
    u32 p = lx->pos;
    if (at(lx, p) == '0' && (at(lx, p + 1) == 'x' || at(lx, p + 1) == 'X')) {
        u32 d = p + 2, e = d;
        while (lc_hex_digit(at(lx, e)) >= 0) e++;
        if (e == d || is_word_char(at(lx, e))) return err_at(lx, p, "malformed hex literal");
        lx->pos = e;
        return hex_decode(lx, t, d, e - d);
    }
    bool is_float = false;
    while (is_digit(at(lx, p))) p++;
    if (at(lx, p) == '.') {
        is_float = true;
        p++;
        while (is_digit(at(lx, p))) p++;
    }
    if (at(lx, p) == 'e' || at(lx, p) == 'E') {
        is_float = true;
        p++;
        if (at(lx, p) == '+' || at(lx, p) == '-') p++;
        if (!is_digit(at(lx, p))) return err_at(lx, lx->pos, "malformed number (exponent)");
        while (is_digit(at(lx, p))) p++;
    }
    if (is_word_char(at(lx, p)) || at(lx, p) == '.')
        return err_at(lx, lx->pos, "malformed number (trailing junk)");
    t->kind = is_float ? SQL_TOK_FLOAT : SQL_TOK_INT;
    char *v = lc_arena_alloc(lx->arena, p - lx->pos + 1);
    if (!v) return sql_lex_errf(lx, LC_ENOMEM, NULL, t->off, "out of memory for SQL literal");
    memcpy(v, lx->src + lx->pos, p - lx->pos);
    v[p - lx->pos] = '\0';
    t->val = v;
    t->val_len = p - lx->pos;
    lx->pos = p;
    return 0;
}

/* Operators and punctuation; returns 1 when `c` is not one. */
static int lex_punct(sql_lexer *lx, sql_tok *t, u8 c)
{
    u8 d = at(lx, lx->pos + 1);
    u32 n = 1;
    switch (c) {
    case '=': t->kind = SQL_TOK_EQ; break;
    case '<':
        if (d == '=') {
            t->kind = SQL_TOK_LE;
            n = 2;
        } else if (d == '>') {
            t->kind = SQL_TOK_NE;
            n = 2;
        } else
            t->kind = SQL_TOK_LT;
        break;
    case '>':
        if (d == '=') {
            t->kind = SQL_TOK_GE;
            n = 2;
        } else
            t->kind = SQL_TOK_GT;
        break;
    case '!':
        if (d != '=') return err_at(lx, lx->pos, "unexpected character '!' (did you mean '!=')");
        t->kind = SQL_TOK_NE;
        n = 2;
        break;
    case ',': t->kind = SQL_TOK_COMMA; break;
    case '.': t->kind = SQL_TOK_DOT; break;
    case '*': t->kind = SQL_TOK_STAR; break;
    case '(': t->kind = SQL_TOK_LPAREN; break;
    case ')': t->kind = SQL_TOK_RPAREN; break;
    case ';': t->kind = SQL_TOK_SEMI; break;
    case '+': t->kind = SQL_TOK_PLUS; break;
    case '-': t->kind = SQL_TOK_MINUS; break;
    default: return 1;
    }
    lx->pos += n;
    return 0;
}

static int lex_word(sql_lexer *lx, sql_tok *t)
{
    u32 p = lx->pos;
    while (p < lx->len && is_word_char((u8)lx->src[p])) p++;
    t->kind = SQL_TOK_WORD;
    t->val = lx->src + lx->pos;
    t->val_len = p - lx->pos;
    t->kw = sql_kw_lookup(t->val, t->val_len);
    lx->pos = p;
    return 0;
}

static int lex_param(sql_lexer *lx, sql_tok *t)
{
    u32 p = lx->pos + 1;
    if (!is_word_start(at(lx, p)))
        return err_at(lx, lx->pos, "expected a parameter name after ':'");
    while (p < lx->len && is_word_char((u8)lx->src[p])) p++;
    t->kind = SQL_TOK_PARAM;
    t->val = lx->src + lx->pos + 1;
    t->val_len = p - lx->pos - 1;
    lx->pos = p;
    return 0;
}

static int lex_dispatch(sql_lexer *lx, sql_tok *t, u8 c)
{
    if ((c == 'x' || c == 'X') && at(lx, lx->pos + 1) == '\'') return lex_hex_string(lx, t);
    if (is_word_start(c)) return lex_word(lx, t);
    if (is_digit(c) || (c == '.' && is_digit(at(lx, lx->pos + 1)))) return lex_number(lx, t);
    if (c == '\'') {
        t->kind = SQL_TOK_STRING;
        return lex_quoted(lx, t, '\'', "string literal");
    }
    if (c == '"') {
        t->kind = SQL_TOK_QIDENT;
        int rc = lex_quoted(lx, t, '"', "quoted identifier");
        if (rc == 0 && t->val_len == 0) return err_at(lx, t->off, "zero-length quoted identifier");
        return rc;
    }
    if (c == ':') return lex_param(lx, t);
    if (lex_punct(lx, t, c) == 0) return 0;
    if (c < 0x20 || c == 0x7f)
        return sql_lex_errf(lx, LC_ESYNTAX, NULL, lx->pos, "unexpected control character 0x%02x",
                            c);
    return sql_lex_errf(lx, LC_ESYNTAX, NULL, lx->pos, "unexpected character '%c'", c);
}

int sql_lex_next(sql_lexer *lx, sql_tok *t)
{
    LC_ASSERT(lx->pos <= lx->len);
    int rc = skip_space(lx);
    if (rc) return rc;
    *t = (sql_tok){.kind = SQL_TOK_EOF, .off = lx->pos};
    if (lx->pos >= lx->len) return 0;
    if (++lx->tok_count > LC_SQL_TOKENS_MAX)
        return sql_lex_errf(lx, LC_ELIMIT, NULL, lx->pos, "too many tokens (max %u)",
                            (unsigned)LC_SQL_TOKENS_MAX);
    rc = lex_dispatch(lx, t, (u8)lx->src[lx->pos]);
    if (rc) return rc;
    LC_ASSERT(lx->pos > t->off && lx->pos <= lx->len);
    t->src_len = lx->pos - t->off;
    return 0;
}
