/*
 * sub/sub_int.h — private to sub/: the query and registry structures shared by sub.c (acquire,
 * release, keys), sub_index.c (the pruning indexes and candidate selection) and sub_eval.c
 * (initial and incremental evaluation, join delta rules).
 *
 * Design: a query registers each of its table slots in exactly one pruning index:
 *   - the search-argument index, a chained hash from (table, column, value bytes) to the
 *     queries having a top-level conjunct `column = constant` on that slot (the first one);
 *   - otherwise the by-table list, sorted by table id, of queries that any change to that table
 *     may affect.
 *   - for a join slot without a search argument whose OTHER slot has one (`SELECT a.* FROM a
 *     JOIN b ON a.x = b.y WHERE b.z = v`): a join edge (a, x, b's index on y, z), shared by
 *     every query of that shape, with the query filed in the same hash under (edge, z, v).
 * A commit visits the by-table entries of each changed table; for each column of that table
 * appearing in some search argument (the sarg column list, sorted by table id, with reference
 * counts) it looks up each changed row's value in that column; for each join edge from that
 * table it probes the other side's index with each changed row's x (post-commit state) and
 * looks up the found rows' z. Every query reached is evaluated once (a per-registry epoch
 * marks queries already taken). Why the edge is enough: a delta pair either has a changed b
 * row, whose z = v finds the query through b's own search argument, or a changed a row and a
 * post-commit b row with z = v, which the edge probe finds (SpacetimeDB's JoinEdge, without
 * its uniqueness requirement).
 */
#ifndef LC_SUB_SUB_INT_H
#define LC_SUB_SUB_INT_H

#include "base/buf.h"
#include "sub/sub.h"

/* Search-argument hash keys of join edges: table id field = SUB_EDGE_KEY | edge uid. */
#define SUB_EDGE_KEY 0x80000000u

/* One slot's registration. */
typedef struct sub_slot {
    u32 table_id;
    bool has_edge;   /* registered through a join edge (the other slot's search argument) */
    u32 edge_uid;
    bool has_sarg;   /* registered in the search-argument index (else by table) */
    u16 sarg_col;
    const u8 *sarg_value; /* owned by the filter */
    u32 sarg_len;
} sub_slot;

struct sub_query {
    u64 hash;
    u32 refs;
    u32 table_id; /* the returned table */
    u32 ntab;     /* 1 or 2 */
    u32 ret_slot;
    sub_slot slot[2];
    u16 join_col[2];
    u32 join_ix[2];
    sql_filter *filter;
    store *s;  /* where it was compiled: the txn-less entry points read through it */
    u64 mark;  /* candidate epoch */
    sub_query *key_next; /* chain of the key hash */
    u8 *key; /* canonical text, NUL, mode byte, then 32-byte identity when caller-dependent */
    size_t key_len;
};

typedef struct sub_tab_ent {
    u32 table_id;
    sub_query *q;
} sub_tab_ent;

typedef struct sub_sarg_col {
    u32 table_id;
    u16 col;
    u32 refs;
    const lc_type *rt; /* the table's row type (borrowed from the store, like the filters) */
} sub_sarg_col;

typedef struct sub_edge {
    u32 uid;
    u32 table_id;   /* the side whose changed rows probe */
    u16 col;        /* its join column */
    u32 other_ix;   /* the other side's join index */
    u16 other_col;  /* the other side's search-argument column */
    const lc_type *rt, *other_rt;
    u32 refs;
} sub_edge;

typedef struct sub_sarg_node sub_sarg_node;
struct sub_sarg_node {
    u64 h;
    u32 table_id;
    u16 col;
    u8 *value;
    u32 len;
    sub_query **qs;
    u32 nq, capq;
    sub_sarg_node *next;
};

/* Signed multiplicities of output rows for one join query (bag semantics). */
typedef struct sub_delta_acc {
    lc_buf bytes;    /* row bytes */
    struct sub_cnt { u64 h; u32 off, len; i64 n; } *ents;
    u32 nents, cap;
    u32 *slots;      /* open addressing: entry index + 1, 0 empty */
    u32 nslots;      /* power of two */
    lc_buf scratch;  /* delta x delta: sorted keys */
} sub_delta_acc;

struct sub_registry {
    store *s;
    u32 count; /* distinct queries */
    sub_query **keys; /* key hash buckets */
    u32 nkeys;        /* power of two */
    sub_tab_ent *tab; /* by-table registrations, sorted by table id */
    u32 ntab, captab;
    sub_sarg_col *cols; /* sorted by table id */
    u32 ncols, capcols;
    sub_edge *edges; /* sorted by table id */
    u32 nedges, capedges, edge_uid_next;
    sub_sarg_node **sarg; /* buckets */
    u32 nsarg, nsarg_nodes;
    u64 epoch;
    sub_query **cand;
    u32 ncand, capcand;
    sub_delta_acc acc;
};

/* sub_index.c */
int sub_index_add(sub_registry *r, sub_query *q) LC_MUST_USE;
void sub_index_remove(sub_registry *r, sub_query *q);
/* Fills r->cand with the queries td may affect (each once). txn: a read of the post-commit
 * state, needed when r->nedges (join-edge probes). */
int sub_index_candidates(sub_registry *r, store_txn *txn, const store_txdata *td) LC_MUST_USE;
void sub_index_deinit(sub_registry *r);

/* sub_eval.c */
void sub_acc_init(sub_delta_acc *a);
void sub_acc_deinit(sub_delta_acc *a);
/* Delta of q for td; txn: a read of the post-commit state, or NULL to open one on q->s when
 * the query is a join. */
int sub_eval_query(sub_query *q, store_txn *txn, const store_txdata *td,
                   const sub_delta_sink *sink, sub_delta_acc *acc) LC_MUST_USE;

/* Binary search of the sorted TxData tables. */
const store_txdata_table *sub_txdata_find(const store_txdata *td, u32 table_id);

#endif
