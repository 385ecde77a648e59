/*
 * wasm/compile.c — validates each function body and compiles it to internal code in ONE pass.
 *
 * Validation follows the spec's algorithm (appendix "Validation Algorithm"): a stack of value
 * types (0 = unknown, produced by the polymorphic stack after unreachable/br/return) and a
 * stack of control frames, each remembering its label types, the height at entry and
 * whether the rest of the block is unreachable.
 *
 * Code emission rides on the same walk (see wasm_int.h for the word format). The internal
 * code is slot-addressed ("register-based"): every operand-stack entry has a home slot
 * fp[locals + depth], and each instruction names its operand and result slots, so there is
 * no stack pointer at run time.
 *   - Operands are tracked by *location*: local.get and constants are deferred (the entry
 *     remembers "local x" / "constant k" and emits nothing); the consumer reads the local's
 *     slot directly or uses an immediate-operand variant (OP_IMM + op). Deferred entries are
 *     materialised into their home slots before any control instruction or call, and before
 *     a local.set/tee that would overwrite a local they still refer to.
 *   - local.set/tee right after an instruction that produced the value retargets that
 *     instruction's result slot to the local (no copy), unless a label intervenes.
 *   - Nothing is emitted while the current frame (or an enclosing one) is unreachable, so
 *     dead code costs nothing and its bogus stack heights never reach the interpreter.
 *   - block/loop/end emit nothing (fuel is charged by every taken branch, hence on each
 *     loop back-edge); if emits OP_BR_UNLESS (or a fused compare) to the else/end; else
 *     emits OP_BR.
 *   - A branch that keeps `arity` values whose home slots differ from the target's emits a
 *     *_MOVE form (source and destination slots), otherwise a plain jump. Forward targets are
 *     unknown until the frame's end: the offset words of pending branches form a chain
 *     threaded through the words themselves and are patched when the frame ends.
 *   - br/br_if to the function's outermost label become OP_RETURN directly.
 */
#include <string.h>

#include "base/alloc.h"
#include "wasm/wasm_int.h"

#define NO_FIXUP UINT32_MAX
#define LOC_CONST UINT32_MAX
#define SLOT_MAX 0xffffu
#define T_UNKNOWN 0

enum { CTL_BLOCK, CTL_LOOP, CTL_IF, CTL_ELSE, CTL_FUNC };

typedef struct ctl {
    u8 kind;
    bool is_unreachable;
    bool is_dead;          /* an enclosing frame was unreachable when this one opened */
    u32 height;            /* type-stack height at entry (params excluded) */
    const u8 *params;
    const u8 *results;
    u32 param_count;
    u32 result_count;
    u32 loop_pc;
    u32 fixups;            /* chain of pending forward offset words */
    u32 else_fixup;
} ctl;

typedef struct cc {
    lc_wasm_module *m;
    lc_wasm_code *fn;
    wasm_rd r;
    u8 *vals;
    u32 *locs;           /* per entry: slot holding the value, or LOC_CONST */
    u64 *consts;         /* per entry: the constant when locs[i] == LOC_CONST */
    u32 val_count, val_cap, val_max;
    u32 popped_loc;      /* location of the entry the last pop() removed */
    u64 popped_const;
    u32 fuse_pos;        /* last instruction whose result slot may be retargeted */
    u32 fuse_end;        /* code_len right after it (fusion only if nothing followed) */
    u32 fuse_d;
    u32 op_pos, prev_op_pos;  /* starts of the last two emit_op instructions */
    u32 label_pos;       /* last code position a branch target was bound to */
    u32 param_count;     /* of the function being compiled */
    u64 locals_written;  /* bit x: local x (< 64) may have been written since entry */
    ctl *ctls;
    u32 ctl_count, ctl_cap;
    lc_wasm_word *code;
    u32 code_len, code_cap;
    int err;
    const char *msg;
} cc;

static const u8 VT[] = {0x7f, 0x7e, 0x7d, 0x7c, 0x70, 0x6f};

static const u8 *vt_ptr(u8 t)
{
    for (u32 i = 0; i < sizeof(VT); i++)
        if (VT[i] == t)
            return &VT[i];
    return NULL;
}

/* ------------------------------------------------------------ types ----------------------- */

void wasm_type_hash(lc_wasm_type *t)
{
    u64 h = 1469598103934665603ull;
    for (u32 i = 0; i < t->param_count; i++)
        h = (h ^ t->params[i]) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;
    for (u32 i = 0; i < t->result_count; i++)
        h = (h ^ t->results[i]) * 1099511628211ull;
    t->hash = h;
}

bool wasm_type_equal(const lc_wasm_type *a, const lc_wasm_type *b)
{
    return a->hash == b->hash && a->param_count == b->param_count &&
           a->result_count == b->result_count &&
           memcmp(a->params, b->params, a->param_count) == 0 &&
           memcmp(a->results, b->results, a->result_count) == 0;
}

/* ------------------------------------------------------------ helpers --------------------- */

static void fail(cc *c, int err, const char *msg)
{
    if (!c->err) {
        c->err = err;
        c->msg = msg;
    }
    wasm_rd_fail(&c->r, err, msg);
}

static void invalid(cc *c, const char *msg) { fail(c, LC_EINVALID, msg); }

static ctl *top(cc *c) { return &c->ctls[c->ctl_count - 1]; }

static bool emitting(cc *c)
{
    ctl *t = top(c);
    return !c->err && !t->is_unreachable && !t->is_dead;
}

static void emit(cc *c, u64 w)
{
    if (c->code_len == c->code_cap) {
        u32 cap = c->code_cap ? c->code_cap * 2 : 64;
        lc_wasm_word *n = lc_realloc(c->code, (size_t)cap * sizeof(*n));
        if (!n)
            return fail(c, LC_ENOMEM, "out of memory");
        c->code = n;
        c->code_cap = cap;
    }
    c->code[c->code_len++].u = w;
}

static u32 home(cc *c, u32 i) { return c->fn->local_count + i; }

static bool grow_vals(cc *c)
{
    u32 cap = c->val_cap ? c->val_cap * 2 : 32;
    u8 *n = lc_realloc(c->vals, cap);
    if (n)
        c->vals = n;
    u32 *l = n ? lc_realloc(c->locs, cap * sizeof(u32)) : NULL;
    if (l)
        c->locs = l;
    u64 *k = l ? lc_realloc(c->consts, cap * sizeof(u64)) : NULL;
    if (!k) {
        fail(c, LC_ENOMEM, "out of memory");
        return false;
    }
    c->consts = k;
    c->val_cap = cap;
    return true;
}

static void push_loc(cc *c, u8 t, u32 loc, u64 k)
{
    if (c->val_count == c->val_cap && !grow_vals(c))
        return;
    c->vals[c->val_count] = t;
    c->locs[c->val_count] = loc;
    c->consts[c->val_count] = k;
    c->val_count++;
    if (c->val_count > c->val_max)
        c->val_max = c->val_count;
}

static void push(cc *c, u8 t) { push_loc(c, t, home(c, c->val_count), 0); }

/* Pops one value; want = 0 accepts any type. Returns the popped type (0 if unknown). */
static u8 pop(cc *c, u8 want)
{
    ctl *t = top(c);
    if (c->val_count == t->height) {
        if (!t->is_unreachable)
            invalid(c, "type mismatch");
        c->popped_loc = home(c, c->val_count);
        c->popped_const = 0;
        return want;
    }
    u8 got = c->vals[--c->val_count];
    c->popped_loc = c->locs[c->val_count];
    c->popped_const = c->consts[c->val_count];
    if (want && got && got != want) {
        invalid(c, "type mismatch");
    }
    return got ? got : want;
}

static void pop_n(cc *c, const u8 *types, u32 n)
{
    for (u32 i = n; i-- > 0;)
        pop(c, types[i]);
}

static void push_n(cc *c, const u8 *types, u32 n)
{
    for (u32 i = 0; i < n; i++)
        push(c, types[i]);
}

/* Emits an op word: opcode | d << 16 | a << 32 | b << 48 (slots are 16-bit). */
static void emit_op(cc *c, u32 op, u32 d, u32 a, u32 b)
{
    if (d > SLOT_MAX || a > SLOT_MAX || b > SLOT_MAX)
        return fail(c, LC_ELIMIT, "function uses too many value slots");
    c->prev_op_pos = c->op_pos;
    c->op_pos = c->code_len;
    emit(c, op | (u64)d << 16 | (u64)a << 32 | (u64)b << 48);
}

/* Records that the instruction at pos (just emitted, all its words) wrote slot d. */
static void mark_fuse(cc *c, u32 pos, u32 d)
{
    c->fuse_pos = pos;
    c->fuse_end = c->code_len;
    c->fuse_d = d;
}

static void no_fuse(cc *c) { c->fuse_end = NO_FIXUP; }

/* Moves entry i's value into its home slot. */
static void materialize_at(cc *c, u32 i)
{
    u32 h = home(c, i);
    if (c->locs[i] == LOC_CONST) {
        emit_op(c, OP_CONST, h, 0, 0);
        emit(c, c->consts[i]);
    } else if (c->locs[i] != h) {
        emit_op(c, OP_MOV, h, c->locs[i], 0);
    }
    c->locs[i] = h;
}

/* Every entry (and the `extra` entries just popped above val_count) to its home slot. */
static void materialize_all(cc *c, u32 extra)
{
    if (!emitting(c))
        return;
    for (u32 i = 0; i < c->val_count + extra; i++)
        materialize_at(c, i);
    no_fuse(c);
}

/* Pops a value and returns a slot holding it (a constant is written to the freed home). */
static u32 pop_slot(cc *c, u8 want)
{
    pop(c, want);
    u32 loc = c->popped_loc;
    if (loc == LOC_CONST) {
        loc = home(c, c->val_count);
        if (emitting(c)) {
            emit_op(c, OP_CONST, loc, 0, 0);
            emit(c, c->popped_const);
        }
    }
    return loc;
}

/* Pushes a result produced in the new top's home slot by the instruction at pos. */
static void push_result(cc *c, u8 t, u32 pos)
{
    u32 d = home(c, c->val_count);
    push(c, t);
    if (emitting(c))
        mark_fuse(c, pos, d);
}

static void push_ctl(cc *c, u8 kind, const u8 *params, u32 np, const u8 *results, u32 nr)
{
    if (c->ctl_count == c->ctl_cap) {
        u32 cap = c->ctl_cap ? c->ctl_cap * 2 : 16;
        ctl *n = lc_realloc(c->ctls, (size_t)cap * sizeof(*n));
        if (!n)
            return fail(c, LC_ENOMEM, "out of memory");
        c->ctls = n;
        c->ctl_cap = cap;
    }
    bool dead = c->ctl_count > 0 && (top(c)->is_unreachable || top(c)->is_dead);
    ctl *t = &c->ctls[c->ctl_count++];
    memset(t, 0, sizeof(*t));
    t->kind = kind;
    t->is_dead = dead;
    t->height = c->val_count;
    t->params = params;
    t->param_count = np;
    t->results = results;
    t->result_count = nr;
    t->fixups = NO_FIXUP;
    t->else_fixup = NO_FIXUP;
    t->loop_pc = c->code_len;
    push_n(c, params, np);
}

static void set_unreachable(cc *c)
{
    ctl *t = top(c);
    c->val_count = t->height;
    t->is_unreachable = true;
}

/* Patches the offset chain starting at head to jump to `target`. */
static void patch_chain(cc *c, u32 head, u32 target)
{
    while (head != NO_FIXUP && !c->err) {
        u32 next = (u32)c->code[head].u;
        c->code[head].i = (i64)target - (i64)head;
        head = next;
    }
}

/* Emits the offset word of a branch to frame t. */
static void emit_target(cc *c, ctl *t)
{
    if (t->kind == CTL_LOOP) {
        emit(c, (u64)((i64)t->loop_pc - (i64)c->code_len));
    } else {
        u32 pos = c->code_len;
        emit(c, t->fixups == NO_FIXUP ? (u64)NO_FIXUP : t->fixups);
        t->fixups = pos;
    }
}

static u32 label_arity(const ctl *t) { return t->kind == CTL_LOOP ? t->param_count : t->result_count; }
static const u8 *label_types(const ctl *t) { return t->kind == CTL_LOOP ? t->params : t->results; }

/* An i32 compare whose result is the condition just popped; take_cmp removes it from the
 * code so the branch can evaluate it itself (one dispatch and no slot write). */
typedef struct fused_cmp {
    bool ok;
    u32 idx;   /* opcode - 0x45, or 11 for nez */
    u64 w0, w1;
    u32 add_pos;  /* an i32.add-immediate right before the compare, feeding it, or NO_FIXUP */
} fused_cmp;

static void take_cmp(cc *c, u32 cond, fused_cmp *out)
{
    out->ok = false;
    if (!emitting(c) || c->fuse_end != c->code_len || c->fuse_d != cond ||
        cond != home(c, c->val_count))
        return;
    u64 w = c->code[c->fuse_pos].u;
    u32 op = (u32)(w & 0xffff);
    u32 base = op >= OP_IMM ? op - OP_IMM : op;
    if (base < 0x45 || base > 0x4f)
        return;
    out->idx = base - 0x45;
    out->w0 = w;
    out->w1 = op >= OP_IMM ? c->code[c->fuse_pos + 1].u : 0;
    out->add_pos = NO_FIXUP;
    u32 p = c->prev_op_pos;
    if (c->op_pos == c->fuse_pos && p != NO_FIXUP && c->label_pos != c->fuse_pos &&
        ((c->code[p].u & 0xffff) == OP_IMM + 0x6a ? p + 2 : p + 1) == c->fuse_pos &&
        ((c->code[p].u & 0xffff) == OP_IMM + 0x6a || (c->code[p].u & 0xffff) == 0x6a)) {
        u64 add_d = (c->code[p].u >> 16) & 0xffff;
        if (add_d == ((w >> 32) & 0xffff)) {
            out->add_pos = p;
        } else if (op < OP_IMM && base != 0x45 && add_d == (w >> 48)) {
            /* cmp(y, x) right after x = ...: swap to the mirrored cmp(x, y), so the add
             * can fuse (also in the compare restored when the branch cannot fuse). */
            static const u8 mirror[11] = {0, 1, 2, 5, 6, 3, 4, 9, 10, 7, 8};
            out->idx = mirror[out->idx];
            out->w0 = (0x45u + out->idx) | (w & 0xffff0000ull) | (w >> 48) << 32 |
                      ((w >> 32) & 0xffff) << 48;
            out->add_pos = p;
        }
    }
    c->code_len = c->fuse_pos;
    out->ok = true;
    no_fuse(c);
}

/* Like take_cmp for an i32.add producing a load's address. */
static bool take_add(cc *c, u32 slot, u64 *out_w0, u64 *out_w1)
{
    if (c->fuse_end != c->code_len || c->fuse_d != slot || slot != home(c, c->val_count))
        return false;
    u64 w = c->code[c->fuse_pos].u;
    u32 op = (u32)(w & 0xffff);
    if (op != 0x6a && op != OP_IMM + 0x6a)
        return false;
    *out_w0 = w;
    *out_w1 = op == 0x6a ? 0 : c->code[c->fuse_pos + 1].u;
    c->code_len = c->fuse_pos;
    no_fuse(c);
    return true;
}

/* Emits the fused compare-and-branch (branch when the compare, negated if asked, holds);
 * the caller emits the offset word next. */
static void emit_brc(cc *c, const fused_cmp *f, bool negate)
{
    static const u8 neg[12] = {11, 2, 1, 9, 10, 7, 8, 5, 6, 3, 4, 0};
    u32 k = negate ? neg[f->idx] : f->idx;
    bool imm = (f->w0 & 0xffff) >= OP_IMM;
    u64 ab = f->w0 & ~(u64)0xffffffffull;
    bool add_slot = f->add_pos != NO_FIXUP && (c->code[f->add_pos].u & 0xffff) == 0x6a;
    if (f->add_pos != NO_FIXUP && f->add_pos + (add_slot ? 1 : 2) == c->code_len) {
        /* x = a + k (or a + slot); branch on cmp(x, b): OP_BRCA/OP_BRCAI d=x a b [k]
         * ([imm]), OP_BRCAS/OP_BRCASI d=x a b [slot] ([imm]) */
        u64 add = c->code[f->add_pos].u;
        u64 kk = add_slot ? add >> 48 : c->code[f->add_pos + 1].u;
        u32 base = add_slot ? (imm ? OP_BRCASI : OP_BRCAS) : (imm ? OP_BRCAI : OP_BRCA);
        c->code_len = f->add_pos;
        emit(c, base + k + (add & 0xffffffff0000ull) + (f->w0 & 0xffff000000000000ull));
        emit(c, kk);
        if (imm)
            emit(c, f->w1);
        return;
    }
    emit(c, (imm ? OP_BRCI : OP_BRC) + k + ab);
    if (imm)
        emit(c, f->w1);
}

/* Puts back a compare taken by take_cmp when the branch cannot use it. */
static void restore_cmp(cc *c, const fused_cmp *f)
{
    emit(c, f->w0);
    if ((f->w0 & 0xffff) >= OP_IMM)
        emit(c, f->w1);
}

/* Emits an unconditional (cond == NO_FIXUP) or conditional branch to label depth d. The
 * validator has already popped the condition (cond is its slot); the label's values are
 * the top `arity` entries and have been materialised. */
static void emit_branch(cc *c, u32 d, u32 cond, const fused_cmp *f)
{
    if (!emitting(c))
        return;
    ctl *t = &c->ctls[c->ctl_count - 1 - d];
    bool is_cond = cond != NO_FIXUP;
    u32 arity = label_arity(t);
    u32 src = home(c, c->val_count - arity);
    if (f->ok) {
        if (t->kind != CTL_FUNC && (arity == 0 || src == home(c, t->height))) {
            emit_brc(c, f, false);
            emit_target(c, t);
            return;
        }
        restore_cmp(c, f);
    }
    if (t->kind == CTL_FUNC) {
        if (is_cond) {
            emit_op(c, OP_BR_UNLESS, 0, cond, 0);
            emit(c, 2);
        }
        emit_op(c, OP_RETURN, 0, src, arity);
        return;
    }
    u32 dst = home(c, t->height);
    if (dst == src || arity == 0) {
        emit_op(c, is_cond ? OP_BR_IF : OP_BR, 0, cond == NO_FIXUP ? 0 : cond, 0);
    } else {
        emit_op(c, is_cond ? OP_BR_IF_MOVE : OP_BR_MOVE, dst, src, arity);
        if (is_cond)
            emit(c, cond);
    }
    emit_target(c, t);
}

/* ------------------------------------------------------------ instruction groups ---------- */

/* Reads a block type: empty, one value type, or a type index (s33). */
static void read_blocktype(cc *c, const u8 **params, u32 *np, const u8 **results, u32 *nr)
{
    *np = *nr = 0;
    *params = *results = NULL;
    if (c->r.p < c->r.end && *c->r.p == 0x40) {
        c->r.p++;
        return;
    }
    if (c->r.p < c->r.end && wasm_is_valtype(*c->r.p)) {
        *results = vt_ptr(*c->r.p++);
        *nr = 1;
        return;
    }
    i64 idx = wasm_rd_s33(&c->r);
    if (c->r.err)
        return;
    if (idx < 0) {
        return fail(c, LC_EMALFORMED, "malformed value type");
    }
    if ((u64)idx >= c->m->type_count)
        return invalid(c, "unknown type");
    const lc_wasm_type *ty = &c->m->types[idx];
    *params = ty->params;
    *np = ty->param_count;
    *results = ty->results;
    *nr = ty->result_count;
}

static void op_block(cc *c, u8 op)
{
    const u8 *p, *r;
    u32 np, nr;
    read_blocktype(c, &p, &np, &r, &nr);
    if (c->err)
        return;
    u32 cond = 0;
    fused_cmp fc = {0};
    if (op == 0x04) {
        cond = pop_slot(c, 0x7f);
        take_cmp(c, cond, &fc);
    }
    materialize_all(c, 0);
    pop_n(c, p, np);
    bool em = emitting(c);
    u32 else_pos = NO_FIXUP;
    if (op == 0x04 && em) {
        if (fc.ok)
            emit_brc(c, &fc, true);
        else
            emit_op(c, OP_BR_UNLESS, 0, cond, 0);
        else_pos = c->code_len;
        emit(c, NO_FIXUP);
    }
    push_ctl(c, op == 0x02 ? CTL_BLOCK : op == 0x03 ? CTL_LOOP : CTL_IF, p, np, r, nr);
    if (c->err)
        return;
    top(c)->else_fixup = else_pos;
    if (op == 0x03 && em)
        top(c)->loop_pc = c->label_pos = c->code_len;
    no_fuse(c);
}

/* Checks that the stack holds exactly the frame's results (materialised in their homes). */
static void check_frame_results(cc *c)
{
    ctl *t = top(c);
    materialize_all(c, 0);
    pop_n(c, t->results, t->result_count);
    if (c->val_count != t->height)
        invalid(c, "type mismatch");
    no_fuse(c);
}

static void op_else(cc *c)
{
    ctl *t = top(c);
    if (t->kind != CTL_IF)
        return invalid(c, "else without if");
    check_frame_results(c);
    if (c->err)
        return;
    if (!t->is_dead && !t->is_unreachable) {
        emit(c, OP_BR);
        emit_target(c, t);
    }
    if (t->else_fixup != NO_FIXUP) {
        c->code[t->else_fixup].i = (i64)c->code_len - (i64)t->else_fixup;
        t->else_fixup = NO_FIXUP;
        c->label_pos = c->code_len;
    }
    t->kind = CTL_ELSE;
    t->is_unreachable = false;
    c->val_count = t->height;
    push_n(c, t->params, t->param_count);
}

/* Returns true when the function's final end was reached. */
static bool op_end(cc *c)
{
    ctl *t = top(c);
    check_frame_results(c);
    if (c->err)
        return false;
    if (t->kind == CTL_IF) {
        if (t->param_count != t->result_count ||
            (t->param_count && memcmp(t->params, t->results, t->param_count) != 0))
            return invalid(c, "type mismatch"), false;
        if (t->else_fixup != NO_FIXUP)
            c->code[t->else_fixup].i = (i64)c->code_len - (i64)t->else_fixup;
    }
    c->label_pos = c->code_len;
    if (!t->is_dead)
        patch_chain(c, t->fixups, c->code_len);
    if (t->kind == CTL_FUNC) {
        emit_op(c, OP_RETURN, 0, home(c, 0), t->result_count);
        c->ctl_count--;
        return true;
    }
    const u8 *res = t->results;
    u32 nr = t->result_count;
    c->ctl_count--;
    c->val_count = t->height;
    push_n(c, res, nr);
    return false;
}

static void op_br(cc *c, u8 op)
{
    u32 d = wasm_rd_u32(&c->r);
    if (c->r.err)
        return;
    if (d >= c->ctl_count)
        return invalid(c, "unknown label");
    ctl *t = &c->ctls[c->ctl_count - 1 - d];
    u32 cond = NO_FIXUP;
    fused_cmp fc = {0};
    if (op == 0x0d) {
        cond = pop_slot(c, 0x7f);
        take_cmp(c, cond, &fc);
    }
    materialize_all(c, 0);
    u32 arity = label_arity(t);
    const u8 *types = label_types(t);
    pop_n(c, types, arity);
    if (c->err)
        return;
    /* The values are still physically on the runtime stack: account for them. */
    c->val_count += arity;
    if (c->val_count > c->val_max)
        c->val_max = c->val_count;
    emit_branch(c, d, cond, &fc);
    c->val_count -= arity;
    if (op == 0x0c) {
        set_unreachable(c);
    } else {
        push_n(c, types, arity);
    }
}

static void op_br_table(cc *c)
{
    u32 n = wasm_rd_u32(&c->r);
    if (c->r.err)
        return;
    if ((u64)n > (u64)(c->r.end - c->r.p))
        return fail(c, LC_EMALFORMED, "unexpected end");
    const u8 *start = c->r.p;
    /* First pass: validate the labels and arity. */
    u32 arity = UINT32_MAX;
    for (u32 i = 0; i <= n && !c->err; i++) {
        u32 d = wasm_rd_u32(&c->r);
        if (c->r.err)
            return;
        if (d >= c->ctl_count)
            return invalid(c, "unknown label");
        u32 a = label_arity(&c->ctls[c->ctl_count - 1 - d]);
        if (arity == UINT32_MAX)
            arity = a;
        else if (a != arity)
            return invalid(c, "type mismatch");
    }
    u32 idx = pop_slot(c, 0x7f);
    materialize_all(c, 0);
    /* Each label's types must accept the operands (checked against a copy of the stack). */
    wasm_rd r2 = {start, c->r.end, 0, NULL};
    u32 saved = c->val_count;
    for (u32 i = 0; i <= n && !c->err; i++) {
        u32 d = wasm_rd_u32(&r2);
        ctl *t = &c->ctls[c->ctl_count - 1 - d];
        c->val_count = saved;
        pop_n(c, label_types(t), arity);
    }
    c->val_count = saved;
    if (c->err)
        return;
    if (emitting(c)) {
        u32 src = home(c, c->val_count - arity);
        emit_op(c, OP_BR_TABLE, src, idx, arity);
        emit(c, n);
        wasm_rd r3 = {start, c->r.end, 0, NULL};
        for (u32 i = 0; i <= n; i++) {
            ctl *t = &c->ctls[c->ctl_count - 1 - wasm_rd_u32(&r3)];
            emit(c, home(c, t->height));
            emit_target(c, t);
        }
    }
    set_unreachable(c);
}

static void op_return(cc *c)
{
    ctl *f = &c->ctls[0];
    materialize_all(c, 0);
    pop_n(c, f->results, f->result_count);
    if (emitting(c))
        emit_op(c, OP_RETURN, 0, home(c, c->val_count), f->result_count);
    set_unreachable(c);
}

static void op_call(cc *c, u8 op)
{
    const lc_wasm_type *ty;
    u32 a = wasm_rd_u32(&c->r);
    u32 b = 0, idx = 0;
    if (op == 0x11)
        b = wasm_rd_u32(&c->r);
    if (c->r.err)
        return;
    if (op == 0x10) {
        if (a >= c->m->func_count)
            return invalid(c, "unknown function");
        ty = &c->m->types[c->m->func_types[a]];
    } else {
        if (b >= c->m->table_count)
            return invalid(c, "unknown table");
        if (a >= c->m->type_count)
            return invalid(c, "unknown type");
        if (c->m->tables[b].elem_type != 0x70)
            return invalid(c, "type mismatch");
        ty = &c->m->types[a];
        idx = pop_slot(c, 0x7f);
    }
    pop_n(c, ty->params, ty->param_count);
    if (emitting(c)) {
        materialize_all(c, ty->param_count);
        emit_op(c, op, 0, home(c, c->val_count), idx);
        emit(c, a);
        if (op == 0x11)
            emit(c, b);
    }
    push_n(c, ty->results, ty->result_count);
}

static void op_select(cc *c, u8 op)
{
    u8 t = 0;
    if (op == 0x1c) {
        u32 n = wasm_rd_u32(&c->r);
        if (c->r.err)
            return;
        if (n != 1)
            return invalid(c, "invalid result arity");
        t = wasm_rd_u8(&c->r);
        if (!c->r.err && !wasm_is_valtype(t))
            return fail(c, LC_EMALFORMED, "malformed value type");
    }
    u32 cs = pop_slot(c, 0x7f);
    u8 bt = pop(c, t);
    u32 bl = c->popped_loc;
    u64 bk = c->popped_const;
    u32 bh = home(c, c->val_count);
    u8 at = pop(c, t);
    u32 al = c->popped_loc;
    u64 ak = c->popped_const;
    u32 ah = home(c, c->val_count);
    if (c->err)
        return;
    if (op == 0x1b) {
        if (wasm_is_reftype(at) || wasm_is_reftype(bt))
            return invalid(c, "type mismatch");
        if (at && bt && at != bt)
            return invalid(c, "type mismatch");
        t = at ? at : bt;
    }
    u32 pos = c->code_len;
    if (emitting(c)) {
        /* Constants go to their own homes; cs may sit in bh's slot only if it was the
         * constant condition, which was written there before: keep it by using cs first. */
        if (bl == LOC_CONST) {
            u32 tmp = bh == cs ? home(c, c->val_count + 3) : bh;
            emit_op(c, OP_CONST, tmp, 0, 0);
            emit(c, bk);
            bl = tmp;
        }
        if (al == LOC_CONST) {
            emit_op(c, OP_CONST, ah, 0, 0);
            emit(c, ak);
            al = ah;
        }
        pos = c->code_len;
        emit_op(c, OP_SELECT, ah, al, bl);
        emit(c, cs);
    }
    push_result(c, t, pos);
}

/* local.set / local.tee x of the value just popped (location loc, constant k). */
static void store_local(cc *c, u32 x, u32 loc, u64 k)
{
    for (u32 i = 0; i < c->val_count; i++)
        if (c->locs[i] == x)
            materialize_at(c, i);
    if (loc == x)
        return;
    /* Storing numeric zero into a declared local that still holds its zero from the call:
     * nothing to do while no branch target has been bound yet (code so far runs once, in
     * order, from the entry). */
    bool is_fresh = x < 64 && !(c->locals_written >> x & 1);
    if (x < 64)
        c->locals_written |= 1ull << x;
    if (is_fresh && loc == LOC_CONST && k == 0 && x >= c->param_count &&
        c->label_pos == NO_FIXUP && c->fn->local_types[x] != 0x70 &&
        c->fn->local_types[x] != 0x6f) {
        no_fuse(c);
        return;
    }
    if (loc == LOC_CONST) {
        emit_op(c, OP_CONST, x, 0, 0);
        emit(c, k);
    } else if (loc == home(c, c->val_count) && c->fuse_end == c->code_len &&
               c->fuse_d == loc) {
        lc_wasm_word *w = &c->code[c->fuse_pos];
        w->u = (w->u & ~(0xffffull << 16)) | (u64)x << 16;
    } else {
        emit_op(c, OP_MOV, x, loc, 0);
    }
    no_fuse(c);
}

static void op_var(cc *c, u8 op)
{
    u32 idx = wasm_rd_u32(&c->r);
    if (c->r.err)
        return;
    lc_wasm_code *fn = c->fn;
    if (op <= 0x22) {
        if (idx >= fn->local_count)
            return invalid(c, "unknown local");
        u8 t = fn->local_types[idx];
        if (op == 0x20) {
            push_loc(c, t, idx, 0);
            return;
        }
        pop(c, t);
        u32 loc = c->popped_loc;
        u64 k = c->popped_const;
        if (emitting(c))
            store_local(c, idx, loc, k);
        if (op == 0x22)
            push_loc(c, t, idx, 0);
        return;
    }
    if (idx >= c->m->global_count)
        return invalid(c, "unknown global");
    lc_wasm_globaltype g = c->m->global_types[idx];
    if (op == 0x23) {
        u32 pos = c->code_len;
        if (emitting(c)) {
            emit_op(c, OP_GLOBAL_GET, home(c, c->val_count), 0, 0);
            emit(c, idx);
        }
        push_result(c, g.val_type, pos);
        return;
    }
    if (!g.is_mutable)
        return invalid(c, "global is immutable");
    u32 a = pop_slot(c, g.val_type);
    if (emitting(c)) {
        emit_op(c, OP_GLOBAL_SET, 0, a, 0);
        emit(c, idx);
    }
}

static void op_table(cc *c, u8 op)
{
    u32 t = wasm_rd_u32(&c->r);
    if (c->r.err)
        return;
    if (t >= c->m->table_count)
        return invalid(c, "unknown table");
    u8 et = c->m->tables[t].elem_type;
    if (op == 0x25) {
        u32 i = pop_slot(c, 0x7f);
        u32 pos = c->code_len;
        if (emitting(c)) {
            emit_op(c, op, home(c, c->val_count), i, 0);
            emit(c, t);
        }
        push_result(c, et, pos);
    } else {
        u32 v = pop_slot(c, et);
        u32 i = pop_slot(c, 0x7f);
        if (emitting(c)) {
            emit_op(c, op, 0, i, v);
            emit(c, t);
        }
    }
}

static u32 mem_natural(u8 op)
{
    static const u8 size[] = {4, 8, 4, 8, 1, 1, 2, 2, 1, 1, 2, 2, 4, 4,
                              4, 8, 4, 8, 1, 2, 1, 2, 4};
    return size[op - 0x28];
}

static u8 mem_type(u8 op)
{
    static const u8 type[] = {0x7f, 0x7e, 0x7d, 0x7c, 0x7f, 0x7f, 0x7f, 0x7f, 0x7e, 0x7e, 0x7e,
                              0x7e, 0x7e, 0x7e, 0x7f, 0x7e, 0x7d, 0x7c, 0x7f, 0x7f, 0x7e, 0x7e,
                              0x7e};
    return type[op - 0x28];
}

static void op_mem(cc *c, u8 op)
{
    u32 align = wasm_rd_u32(&c->r);
    u32 offset = wasm_rd_u32(&c->r);
    if (c->r.err)
        return;
    if (c->m->memory_count == 0)
        return invalid(c, "unknown memory");
    if (align >= 32 || (1u << align) > mem_natural(op))
        return invalid(c, "alignment must not be larger than natural");
    if (op <= 0x35) {
        u32 a = pop_slot(c, 0x7f);
        u32 pos = c->code_len;
        if (emitting(c)) {
            u64 w0, w1;
            if (take_add(c, a, &w0, &w1)) {
                pos = c->code_len;
                bool imm = (w0 & 0xffff) >= OP_IMM;
                u64 ab = w0 & ~(u64)0xffffffffull;
                emit(c, (imm ? OP_LDI : OP_LDX) + (u64)(op - 0x28) +
                            ((u64)home(c, c->val_count) << 16) + ab);
                if (imm)
                    emit(c, w1);
            } else {
                emit_op(c, op, home(c, c->val_count), a, 0);
            }
            emit(c, offset);
        }
        push_result(c, mem_type(op), pos);
    } else {
        pop(c, mem_type(op));
        u32 vl = c->popped_loc;
        u64 vk = c->popped_const;
        u32 vh = home(c, c->val_count);
        u32 a = pop_slot(c, 0x7f);
        if (!emitting(c))
            return;
        u64 w0, w1;
        if (vl == LOC_CONST && c->fuse_end == c->code_len &&
            (c->code[c->fuse_pos].u & 0xffff) == 0x6a && take_add(c, a, &w0, &w1)) {
            /* address = a + b (slots): OP_STXK a b [offset] [value] */
            emit(c, OP_STXK + (u64)(op - 0x36) + (w0 & ~(u64)0xffffffffull));
            emit(c, offset);
            emit(c, vk);
            return;
        }
        if (vl == LOC_CONST) {  /* store of a constant: OP_IMM + op a [offset] [value] */
            emit_op(c, OP_IMM + op, 0, a, 0);
            emit(c, offset);
            emit(c, vk);
            return;
        }
        LC_UNUSED(vh);
        if (take_add(c, a, &w0, &w1)) {
            bool imm = (w0 & 0xffff) >= OP_IMM;
            if (vl > SLOT_MAX)
                return fail(c, LC_ELIMIT, "function uses too many value slots");
            emit(c, (imm ? OP_STI : OP_STX) + (u64)(op - 0x36) + ((u64)vl << 16) +
                        (w0 & ~(u64)0xffffffffull));
            if (imm)
                emit(c, w1);
        } else {
            emit_op(c, op, 0, a, vl);
        }
        emit(c, offset);
    }
}

/* Numeric instruction signatures: number of operands, operand type, result type. */
static bool numeric_sig(u8 op, u32 *nargs, u8 *arg, u8 *res)
{
    static const struct { u8 lo, hi, n, a, r; } tab[] = {
        {0x45, 0x45, 1, 0x7f, 0x7f}, {0x46, 0x4f, 2, 0x7f, 0x7f}, {0x50, 0x50, 1, 0x7e, 0x7f},
        {0x51, 0x5a, 2, 0x7e, 0x7f}, {0x5b, 0x60, 2, 0x7d, 0x7f}, {0x61, 0x66, 2, 0x7c, 0x7f},
        {0x67, 0x69, 1, 0x7f, 0x7f}, {0x6a, 0x78, 2, 0x7f, 0x7f}, {0x79, 0x7b, 1, 0x7e, 0x7e},
        {0x7c, 0x8a, 2, 0x7e, 0x7e}, {0x8b, 0x91, 1, 0x7d, 0x7d}, {0x92, 0x98, 2, 0x7d, 0x7d},
        {0x99, 0x9f, 1, 0x7c, 0x7c}, {0xa0, 0xa6, 2, 0x7c, 0x7c}, {0xa7, 0xa7, 1, 0x7e, 0x7f},
        {0xa8, 0xa9, 1, 0x7d, 0x7f}, {0xaa, 0xab, 1, 0x7c, 0x7f}, {0xac, 0xad, 1, 0x7f, 0x7e},
        {0xae, 0xaf, 1, 0x7d, 0x7e}, {0xb0, 0xb1, 1, 0x7c, 0x7e}, {0xb2, 0xb3, 1, 0x7f, 0x7d},
        {0xb4, 0xb5, 1, 0x7e, 0x7d}, {0xb6, 0xb6, 1, 0x7c, 0x7d}, {0xb7, 0xb8, 1, 0x7f, 0x7c},
        {0xb9, 0xba, 1, 0x7e, 0x7c}, {0xbb, 0xbb, 1, 0x7d, 0x7c}, {0xbc, 0xbc, 1, 0x7d, 0x7f},
        {0xbd, 0xbd, 1, 0x7c, 0x7e}, {0xbe, 0xbe, 1, 0x7f, 0x7d}, {0xbf, 0xbf, 1, 0x7e, 0x7c},
        {0xc0, 0xc1, 1, 0x7f, 0x7f}, {0xc2, 0xc4, 1, 0x7e, 0x7e},
    };
    for (u32 i = 0; i < LC_ARRAY_LEN(tab); i++) {
        if (op >= tab[i].lo && op <= tab[i].hi) {
            *nargs = tab[i].n;
            *arg = tab[i].a;
            *res = tab[i].r;
            return true;
        }
    }
    return false;
}

/* Binary integer ops that have an immediate-operand form (OP_IMM + op). */
static bool has_imm_form(u8 op)
{
    return (op >= 0x46 && op <= 0x4f) || (op >= 0x51 && op <= 0x5a) || op == 0x6a ||
           op == 0x6b || op == 0x6c || (op >= 0x71 && op <= 0x76) || op == 0x7c ||
           op == 0x7d || op == 0x7e || (op >= 0x83 && op <= 0x88);
}

/* An add (i32, i64, f64) of slots a and b where one of them is the result of the mul just
 * emitted (nothing after it, no label in between): replaces the mul by OP_MADD*. Returns
 * the position of the fused instruction, or NO_FIXUP. */
static u32 try_madd(cc *c, u8 op, u32 d, u32 a, u32 b)
{
    u32 mop = op == 0x6a ? 0x6c : op == 0x7c ? 0x7e : op == 0xa0 ? 0xa2 : 0;
    if (!mop || c->fuse_end != c->code_len || c->label_pos == c->code_len ||
        c->op_pos != c->fuse_pos)
        return NO_FIXUP;
    u64 mw = c->code[c->fuse_pos].u;
    if ((mw & 0xffff) != mop || c->fuse_d != ((mw >> 16) & 0xffff))
        return NO_FIXUP;
    u32 other;
    if (c->fuse_d == a && a == d)
        other = b;
    else if (c->fuse_d == b && b == d + 1)
        other = a;
    else
        return NO_FIXUP;
    u32 pos = c->fuse_pos;
    c->code_len = pos;
    c->op_pos = c->prev_op_pos;
    no_fuse(c);
    u32 nop = op == 0x6a ? OP_MADD32 : op == 0x7c ? OP_MADD64 : OP_MADDF64;
    emit_op(c, nop, d, (u32)(mw >> 32) & 0xffff, (u32)(mw >> 48));
    emit(c, other);
    return pos;
}

static void op_numeric(cc *c, u8 op, u32 nargs, u8 arg, u8 res)
{
    if (nargs == 1) {
        u32 a = pop_slot(c, arg);
        u32 pos = c->code_len;
        if (emitting(c))
            emit_op(c, op, home(c, c->val_count), a, 0);
        push_result(c, res, pos);
        return;
    }
    pop(c, arg);
    u32 bl = c->popped_loc;
    u64 bk = c->popped_const;
    u32 bh = home(c, c->val_count);
    u32 a = pop_slot(c, arg);
    u32 d = home(c, c->val_count);
    u32 pos = c->code_len;
    if (emitting(c)) {
        if (bl == LOC_CONST && has_imm_form(op)) {
            pos = c->code_len;
            emit_op(c, OP_IMM + op, d, a, 0);
            emit(c, bk);
        } else {
            if (bl == LOC_CONST) {
                emit_op(c, OP_CONST, bh, 0, 0);
                emit(c, bk);
                bl = bh;
            }
            pos = bl == bh || a == d ? try_madd(c, op, d, a, bl) : NO_FIXUP;
            if (pos == NO_FIXUP) {
                pos = c->code_len;
                emit_op(c, op, d, a, bl);
            }
        }
    }
    push_result(c, res, pos);
}

static void op_const(cc *c, u8 op)
{
    u64 v = 0;
    u8 t = 0x7f;
    switch (op) {
    case 0x41: v = (u32)wasm_rd_s32(&c->r); break;
    case 0x42: v = (u64)wasm_rd_s64(&c->r); t = 0x7e; break;
    case 0x43: v = wasm_rd_f32(&c->r); t = 0x7d; break;
    case 0x44: v = wasm_rd_f64(&c->r); t = 0x7c; break;
    }
    push_loc(c, t, LOC_CONST, v);
}

static void op_ref(cc *c, u8 op)
{
    if (op == 0xd0) {
        u8 t = wasm_rd_u8(&c->r);
        if (!c->r.err && !wasm_is_reftype(t))
            return fail(c, LC_EMALFORMED, "malformed reference type");
        push_loc(c, t, LOC_CONST, 0);
    } else if (op == 0xd1) {
        u8 t = pop(c, 0);
        if (t && !wasm_is_reftype(t))
            return invalid(c, "type mismatch");
        u32 a = c->popped_loc;
        if (a == LOC_CONST) {
            a = home(c, c->val_count);
            if (emitting(c)) {
                emit_op(c, OP_CONST, a, 0, 0);
                emit(c, c->popped_const);
            }
        }
        u32 pos = c->code_len;
        if (emitting(c))
            emit_op(c, 0x50, home(c, c->val_count), a, 0); /* i64.eqz: null is all-zero */
        push_result(c, 0x7f, pos);
    } else {
        u32 f = wasm_rd_u32(&c->r);
        if (c->r.err)
            return;
        if (f >= c->m->func_count)
            return invalid(c, "unknown function");
        if (!c->m->declared_refs[f])
            return invalid(c, "undeclared function reference");
        u32 pos = c->code_len;
        if (emitting(c)) {
            emit_op(c, OP_REF_FUNC, home(c, c->val_count), 0, 0);
            emit(c, f);
        }
        push_result(c, 0x70, pos);
    }
}

static void need_data_count(cc *c, u32 seg)
{
    /* Without a data section there is nothing to refer to: an index error, as the text
     * format's tools emit no data count section then. */
    if (!c->m->has_data_count && c->m->data_count)
        return fail(c, LC_EMALFORMED, "data count section required");
    if (!c->m->has_data_count)
        return invalid(c, "unknown data segment");
    if (seg >= c->m->data_count_decl)
        invalid(c, "unknown data segment");
}

static void need_memory(cc *c)
{
    if (c->m->memory_count == 0)
        invalid(c, "unknown memory");
}

static void zero_byte(cc *c)
{
    if (wasm_rd_u8(&c->r) != 0 && !c->r.err)
        fail(c, LC_EMALFORMED, "zero byte expected");
}

/* Emits a three-operand bulk instruction: its operands go to consecutive home slots. */
static void emit_bulk3(cc *c, u32 op, const u32 *imm, u32 nimm)
{
    if (!emitting(c))
        return;
    materialize_all(c, 3);
    emit_op(c, op, 0, home(c, c->val_count), 0);
    for (u32 i = 0; i < nimm; i++)
        emit(c, imm[i]);
}

static void op_fc_table(cc *c, u32 sub)
{
    lc_wasm_module *m = c->m;
    u32 a = wasm_rd_u32(&c->r);
    u32 b = (sub == 12 || sub == 14) ? wasm_rd_u32(&c->r) : 0;
    u32 imm[2] = {a, b};
    if (c->r.err)
        return;
    if (sub == 13) {
        if (a >= m->elem_count)
            return invalid(c, "unknown elem segment");
        if (emitting(c)) {
            emit_op(c, OP_FC_BASE + sub, 0, 0, 0);
            emit(c, a);
        }
        return;
    }
    u32 tbl = sub == 12 ? b : a;
    if (tbl >= m->table_count)
        return invalid(c, "unknown table");
    u8 et = m->tables[tbl].elem_type;
    if (sub == 12 || sub == 14) {
        if (sub == 12 && a >= m->elem_count)
            return invalid(c, "unknown elem segment");
        if (sub == 14 && b >= m->table_count)
            return invalid(c, "unknown table");
        u8 st = sub == 12 ? m->elems[a].elem_type : m->tables[b].elem_type;
        if (st != et)
            return invalid(c, "type mismatch");
        pop(c, 0x7f), pop(c, 0x7f), pop(c, 0x7f);
        emit_bulk3(c, OP_FC_BASE + sub, imm, 2);
    } else if (sub == 15) {
        u32 n = pop_slot(c, 0x7f);
        u32 r = pop_slot(c, et);
        u32 pos = c->code_len;
        if (emitting(c)) {
            emit_op(c, OP_FC_BASE + sub, home(c, c->val_count), r, n);
            emit(c, a);
        }
        push_result(c, 0x7f, pos);
    } else if (sub == 16) {
        u32 pos = c->code_len;
        if (emitting(c)) {
            emit_op(c, OP_FC_BASE + sub, home(c, c->val_count), 0, 0);
            emit(c, a);
        }
        push_result(c, 0x7f, pos);
    } else {
        pop(c, 0x7f), pop(c, et), pop(c, 0x7f);
        emit_bulk3(c, OP_FC_BASE + sub, imm, 1);
    }
}

static void op_fc(cc *c)
{
    u32 sub = wasm_rd_u32(&c->r);
    if (c->r.err)
        return;
    u32 imm[1] = {0};
    if (sub <= 7) {
        static const u8 from[] = {0x7d, 0x7d, 0x7c, 0x7c, 0x7d, 0x7d, 0x7c, 0x7c};
        u32 a = pop_slot(c, from[sub]);
        u32 pos = c->code_len;
        if (emitting(c))
            emit_op(c, OP_FC_BASE + sub, home(c, c->val_count), a, 0);
        push_result(c, sub < 4 ? 0x7f : 0x7e, pos);
    } else if (sub == 8) {
        imm[0] = wasm_rd_u32(&c->r);
        zero_byte(c);
        need_memory(c);
        need_data_count(c, imm[0]);
        pop(c, 0x7f), pop(c, 0x7f), pop(c, 0x7f);
        emit_bulk3(c, OP_FC_BASE + sub, imm, 1);
    } else if (sub == 9) {
        imm[0] = wasm_rd_u32(&c->r);
        need_data_count(c, imm[0]);
        if (emitting(c)) {
            emit_op(c, OP_FC_BASE + sub, 0, 0, 0);
            emit(c, imm[0]);
        }
    } else if (sub == 10 || sub == 11) {
        zero_byte(c);
        if (sub == 10)
            zero_byte(c);
        need_memory(c);
        pop(c, 0x7f), pop(c, 0x7f), pop(c, 0x7f);
        emit_bulk3(c, OP_FC_BASE + sub, imm, 0);
    } else if (sub <= 17) {
        op_fc_table(c, sub);
    } else {
        return fail(c, LC_EMALFORMED, "illegal opcode");
    }
}

/* ------------------------------------------------------------ the walk -------------------- */

static void compile_op(cc *c, u8 op)
{
    u32 nargs;
    u8 arg, res;
    switch (op) {
    case 0x00:
        if (emitting(c))
            emit(c, OP_UNREACHABLE);
        set_unreachable(c);
        return;
    case 0x01: return;
    case 0x02: case 0x03: case 0x04: return op_block(c, op);
    case 0x05: return op_else(c);
    case 0x0c: case 0x0d: return op_br(c, op);
    case 0x0e: return op_br_table(c);
    case 0x0f: return op_return(c);
    case 0x10: case 0x11: return op_call(c, op);
    case 0x1a:
        pop(c, 0);
        return;
    case 0x1b: case 0x1c: return op_select(c, op);
    case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: return op_var(c, op);
    case 0x25: case 0x26: return op_table(c, op);
    case 0x3f: case 0x40: {
        zero_byte(c);
        need_memory(c);
        u32 a = op == 0x40 ? pop_slot(c, 0x7f) : 0;
        u32 pos = c->code_len;
        if (emitting(c))
            emit_op(c, op, home(c, c->val_count), a, 0);
        push_result(c, 0x7f, pos);
        return;
    }
    case 0x41: case 0x42: case 0x43: case 0x44: return op_const(c, op);
    case 0xd0: case 0xd1: case 0xd2: return op_ref(c, op);
    case 0xfc: return op_fc(c);
    }
    if (op >= 0x28 && op <= 0x3e)
        return op_mem(c, op);
    if (numeric_sig(op, &nargs, &arg, &res))
        return op_numeric(c, op, nargs, arg, res);
    fail(c, LC_EMALFORMED, "illegal opcode");
}

static int read_locals(cc *c, lc_wasm_code *fn, const lc_wasm_type *ty)
{
    wasm_rd *r = &c->r;
    u32 groups = wasm_rd_u32(r);
    u64 total = ty->param_count;
    const u8 *save = r->p;
    for (u32 i = 0; i < groups && !r->err; i++) {
        total += wasm_rd_u32(r);
        u8 t = wasm_rd_u8(r);
        if (!r->err && !wasm_is_valtype(t))
            wasm_rd_fail(r, LC_EMALFORMED, "malformed value type");
        if (total > LC_WASM_LOCALS_MAX)
            wasm_rd_fail(r, LC_EMALFORMED, "too many locals");
    }
    if (r->err)
        return r->err;
    fn->local_count = (u32)total;
    fn->local_types = lc_alloc(total + 1);
    if (!fn->local_types)
        return LC_ENOMEM;
    memcpy(fn->local_types, ty->params, ty->param_count);
    u32 k = ty->param_count;
    r->p = save;
    for (u32 i = 0; i < groups; i++) {
        u32 n = wasm_rd_u32(r);
        u8 t = wasm_rd_u8(r);
        memset(fn->local_types + k, t, n);
        k += n;
    }
    return 0;
}

static int compile_body(lc_wasm_module *m, lc_wasm_code *fn, cc *c)
{
    const lc_wasm_type *ty = &m->types[fn->type_index];
    c->param_count = ty->param_count;
    c->locals_written = 0;
    c->r = (wasm_rd){fn->body, fn->body + fn->body_len, 0, NULL};
    int err = read_locals(c, fn, ty);
    if (err)
        return err == LC_ENOMEM ? err : (c->msg = c->r.msg, err);
    push_ctl(c, CTL_FUNC, NULL, 0, ty->results, ty->result_count);
    bool done = false;
    while (!c->err && !done) {
        if (wasm_rd_eof(&c->r)) {
            fail(c, LC_EMALFORMED, "unexpected end of section or function");
            break;
        }
        u8 op = wasm_rd_u8(&c->r);
        if (op == 0x0b)
            done = op_end(c);
        else
            compile_op(c, op);
        if (c->r.err && !c->err)
            fail(c, c->r.err, c->r.msg);
    }
    if (!c->err && !wasm_rd_eof(&c->r))
        fail(c, LC_EMALFORMED, "section size mismatch");
    if (c->err)
        return c->err;
    fn->max_height = c->val_max + 1;
    fn->code = c->code;
    fn->code_len = c->code_len;
    c->code = NULL;
    return 0;
}

/* ------------------------------------------------------------ syntax-only rescan -------- */

/* Skips one instruction's immediates (binary syntax only, no validation). Returns false at
 * an opcode the binary format does not define. */
static bool skip_immediates(wasm_rd *r, u8 op)
{
    switch (op) {
    case 0x02: case 0x03: case 0x04:
        if (r->p < r->end && (*r->p == 0x40 || wasm_is_valtype(*r->p)))
            r->p++;
        else
            wasm_rd_s33(r);
        return true;
    case 0x0c: case 0x0d: case 0x10: case 0xd2:
    case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26:
        wasm_rd_u32(r);
        return true;
    case 0x0e: {
        u32 n = wasm_rd_u32(r);
        for (u64 i = 0; i <= n && !r->err; i++)
            wasm_rd_u32(r);
        return true;
    }
    case 0x11: wasm_rd_u32(r); wasm_rd_u32(r); return true;
    case 0x1c: {
        u32 n = wasm_rd_u32(r);
        for (u32 i = 0; i < n && !r->err; i++)
            wasm_rd_u8(r);
        return true;
    }
    case 0x3f: case 0x40: wasm_rd_u8(r); return true;
    case 0x41: wasm_rd_s32(r); return true;
    case 0x42: wasm_rd_s64(r); return true;
    case 0x43: wasm_rd_f32(r); return true;
    case 0x44: wasm_rd_f64(r); return true;
    case 0xd0: wasm_rd_u8(r); return true;
    case 0xfc: {
        u32 sub = wasm_rd_u32(r);
        static const u8 nimm[18] = {0, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 1, 2, 1, 2, 1, 1, 1};
        if (sub > 17)
            return false;
        for (u32 i = 0; i < nimm[sub]; i++)
            wasm_rd_u32(r);
        return true;
    }
    }
    if (op >= 0x28 && op <= 0x3e) {
        wasm_rd_u32(r);
        wasm_rd_u32(r);
        return true;
    }
    return op <= 0x01 || op == 0x05 || op == 0x0b || op == 0x0f || op == 0x1a || op == 0x1b ||
           (op >= 0x45 && op <= 0xc4) || op == 0xd1;
}

/* The spec decodes the whole module before validating it, so a binary-format error anywhere
 * in the code section wins over a validation error found first by our one-pass compiler.
 * Returns a message if body `fn` is malformed. */
static const char *body_malformed(const lc_wasm_code *fn)
{
    wasm_rd r = {fn->body, fn->body + fn->body_len, 0, NULL};
    u32 groups = wasm_rd_u32(&r);
    u64 total = 0;
    for (u32 i = 0; i < groups && !r.err; i++) {
        total += wasm_rd_u32(&r);
        if (!wasm_is_valtype(wasm_rd_u8(&r)) && !r.err)
            return "malformed value type";
        if (total > LC_WASM_LOCALS_MAX)
            return "too many locals";
    }
    u32 depth = 1;
    while (!r.err && depth > 0) {
        if (wasm_rd_eof(&r))
            return "unexpected end of section or function";
        u8 op = wasm_rd_u8(&r);
        if (op == 0x02 || op == 0x03 || op == 0x04)
            depth++;
        else if (op == 0x0b)
            depth--;
        if (!skip_immediates(&r, op) && !r.err)
            return "illegal opcode";
    }
    if (r.err)
        return r.msg;
    return wasm_rd_eof(&r) ? NULL : "section size mismatch";
}

int wasm_compile_all(lc_wasm_module *m, lc_errbuf *eb)
{
    cc c;
    memset(&c, 0, sizeof(c));
    c.m = m;
    int err = 0;
    for (u32 i = 0; i < m->code_count && !err; i++) {
        c.fn = &m->codes[i];
        c.val_count = c.val_max = 0;
        c.ctl_count = 0;
        c.code_len = c.code_cap = 0;
        c.fuse_end = NO_FIXUP;
        c.op_pos = c.prev_op_pos = c.label_pos = NO_FIXUP;
        c.err = 0;
        err = compile_body(m, &m->codes[i], &c);
        for (u32 k = i; err == LC_EINVALID && k < m->code_count; k++) {
            const char *msg = body_malformed(&m->codes[k]);
            if (msg) {
                err = LC_EMALFORMED;
                c.msg = msg;
                i = k;
            }
        }
        if (err)
            lc_errf(eb, err, "%s (func %u)", c.msg ? c.msg : "error",
                    i + m->func_import_count);
        lc_free(c.code);
        c.code = NULL;
    }
    lc_free(c.vals);
    lc_free(c.locs);
    lc_free(c.consts);
    lc_free(c.ctls);
    return err;
}
