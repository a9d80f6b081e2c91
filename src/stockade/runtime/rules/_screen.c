/*
 * stockade.runtime.rules._screen — a replay's memo of "this event matches no rule", in C.
 *
 * Why C: replaying recorded events, decoding every JSON line into a dict (orjson) costs about 3 µs an
 * event on this project's machine, already more than the 4 µs an event the replay target allows with the
 * rules still to run; most events of a real stream repeat the values the rules look at.  This file reads a
 * line's top-level members without building any Python object and answers from a memo filled by the
 * Python engine (runtime/rules/screen.py says how the memo stays exact):
 *
 *   - learn(line, keys, number) stores what the engine found for the line — no rule (0) or the rules the
 *     caller numbers ``number`` — under the line's bytes at ``keys``: the event's top-level keys the
 *     engine read to decide (present or absent: the keys of one evaluation *path*).  An event of the same
 *     type with the same bytes under those keys follows the same path to the same rules.  A type keeps up
 *     to MAX_VARIANTS key sets.
 *   - learn_fields(line, fields) does the same for output fields (the caller's numbers): the keys the
 *     formatting of each read, and what it made — the text escaped for JSON, the value as JSON, the text;
 *     missing(line, number) says which fields of a program the memo does not know for a line, and
 *     write(line, number, sink) writes a line's alerts as scan() would (for a line just learnt).
 *     program(number, ops, fields) says how the alerts of the rules numbered ``number`` are written: bytes
 *     as they are, the time, and pieces of their fields.  The memo thus knows an alert's line from the
 *     fields one by one: a new combination of known values needs no Python.
 *   - scan(buffer, pos, max_line, max_learn, sink) walks the complete lines from ``pos``, skips those the
 *     memo says match nothing, appends to the bytearray ``sink`` the alerts of those whose rules and
 *     fields it knows (with the event's evt.time, RFC 3339 as Python's datetime writes it; drain() says how
 *     many of each list of rules), and returns the others for the engine, each with a code: evaluate it,
 *     evaluate it on a recorder and learn() it, or the number of the rules the memo says it matches — and
 *     the sink's size when it came, so that the caller writes the alerts in order.  It stops after
 *     ``max_learn`` lines to learn, so that what they teach serves the lines after them.
 *   - abstract(key, constants): a numeric key every rule only compares with these integer constants
 *     (``evt.num = 0``: upstream's never_true) is remembered by where its value falls among them, not by
 *     its bytes (a canonical JSON integer only; anything else by its bytes).  difference(a, b, constants)
 *     does the same for two keys the rules read only through their difference (``proc.duration``: evt.time
 *     less proc.start_ts, compared with 5 s by upstream's proc_is_new).
 *
 * A line is answered here only if it is certainly what orjson decodes to a JSON object: ASCII or valid
 * UTF-8 without escaped surrogates, no control characters in strings, numbers that are finite doubles, at
 * most MAX_DEPTH deep, a string ``evt.type`` without escapes, keys without escapes, and no key the memo
 * looks at twice.  Anything else (including a malformed line, which the engine counts) goes to Python.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define MAX_MEMBERS 128   /* top-level members of a line read here; more: the line goes to Python */
#define MAX_DEPTH 64      /* nesting read here */
#define MAX_VARIANTS 16   /* key sets remembered per event type */
#define MAX_KEYS 64       /* distinct keys over a type's key sets */
#define KEY_TABLE 128     /* (power of two, > MAX_KEYS) */
#define MAX_TYPES 4096
#define MAX_ENTRIES 65536 /* per key set; a full set starts again */
#define MAX_BYTES (256u << 20) /* all memo bytes; past this the whole memo starts again */
#define FILTER_BITS 65536 /* per key set: 8 KiB */
#define WINDOW 8192       /* look-ups between two reviews of a type's hit rate */
#define MIN_HITS 0.10     /* a type hitting less often than this in a window is no longer learnt */
#define MAX_FIELDS 128    /* output fields of one list of rules */
#define PLACE_LATER 0xffffffffu
#define MAX_FIELD_IDS 65536
#define MAX_PIECES (1 << 20)

/* ---- hashing -------------------------------------------------------------------------------------- */
static inline uint64_t mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

/* Four independent lanes over 32-byte blocks, so the multiplications do not wait for each other. */
static uint64_t hash_bytes(const unsigned char *p, size_t n) {
    uint64_t a = 0x9e3779b97f4a7c15ULL ^ n, b = 0xbf58476d1ce4e5b9ULL, c = 0x94d049bb133111ebULL,
             d = 0x2545f4914f6cdd1dULL;
    while (n >= 32) {
        uint64_t w[4];
        memcpy(w, p, 32);
        a = (a ^ w[0]) * 0x100000001b3ULL;
        b = (b ^ w[1]) * 0xff51afd7ed558ccdULL;
        c = (c ^ w[2]) * 0xc4ceb9fe1a85ec53ULL;
        d = (d ^ w[3]) * 0x9e3779b97f4a7c15ULL;
        a ^= a >> 29;
        b ^= b >> 31;
        c ^= c >> 27;
        d ^= d >> 33;
        p += 32;
        n -= 32;
    }
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        a = (a ^ w) * 0x100000001b3ULL;
        a ^= a >> 29;
        p += 8;
        n -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, n);
    b = (b ^ w) * 0xff51afd7ed558ccdULL;
    return mix(a ^ mix(b + c * 3 + d * 5));
}

/* A key's hash: cheap (keys are short, and a match is confirmed by comparing the text). */
static inline uint64_t key_hash(const unsigned char *p, size_t n) {
    uint64_t h = 0, t = 0;
    if (n >= 8) {
        memcpy(&h, p, 8);
        memcpy(&t, p + n - 8, 8);
    } else {
        memcpy(&h, p, n);
    }
    h = (h * 0x9e3779b97f4a7c15ULL) ^ (t * 0xc4ceb9fe1a85ec53ULL) ^ n;
    return h ^ (h >> 32);
}

/* ---- one line's members --------------------------------------------------------------------------- */
typedef struct {
    const unsigned char *k; /* key text (between the quotes) */
    Py_ssize_t klen;
    uint64_t kh;
    const unsigned char *v; /* the value's bytes as written */
    Py_ssize_t vlen;
} Member;

static inline const unsigned char *ws(const unsigned char *p, const unsigned char *e) {
    while (p < e && *p <= ' ' && (*p == ' ' || *p == '\t' || *p == '\r')) /* (most often: not blank) */
        p++;
    return p;
}

static int hexval(unsigned char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* bytes a string's scan stops at: the quote, the backslash, control characters, non-ASCII */
static unsigned char special[256];

static void init_special(void) {
    for (int c = 0; c < 256; c++)
        special[c] = c == '"' || c == '\\' || c < 0x20 || c >= 0x80;
}

/* After an opening quote: the closing quote's address, or NULL if the string is not certainly valid.
 * *esc is set when the string holds an escape. */
static const unsigned char *string_end(const unsigned char *p, const unsigned char *e, int *esc) {
    for (;;) {
#ifdef __SSE2__
        /* 16 bytes at a time: the quote, the backslash, and (signed) below 0x20 — control characters and
         * every byte from 0x80; the first such byte is the one to look at */
        const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
        while (p + 16 <= e) {
            __m128i v = _mm_loadu_si128((const __m128i *)p);
            int m = _mm_movemask_epi8(
                _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)), _mm_cmplt_epi8(v, space)));
            if (m != 0) {
                p += __builtin_ctz((unsigned)m);
                goto found;
            }
            p += 16;
        }
#endif
        while (p < e && !special[*p])
            p++;
        if (p >= e)
            return NULL;
#ifdef __SSE2__
    found:;
#endif
        unsigned char c = *p;
        if (c == '"')
            return p;
        if (c == '\\') {
            *esc = 1;
            if (p + 1 >= e)
                return NULL;
            c = p[1];
            if (c == 'u') {
                int v = 0;
                if (p + 6 > e)
                    return NULL;
                for (int i = 2; i < 6; i++) {
                    int h = hexval(p[i]);
                    if (h < 0)
                        return NULL;
                    v = v * 16 + h;
                }
                if (v >= 0xD800 && v <= 0xDFFF) /* surrogates: orjson's rules, left to it */
                    return NULL;
                p += 6;
                continue;
            }
            if (c != '"' && c != '\\' && c != '/' && c != 'b' && c != 'f' && c != 'n' && c != 'r' && c != 't')
                return NULL;
            p += 2;
            continue;
        }
        if (c < 0x20)
            return NULL;
        if (c < 0x80) {
            p++;
            continue;
        }
        /* UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF */
        if (c >= 0xC2 && c <= 0xDF) {
            if (p + 1 >= e || (p[1] & 0xC0) != 0x80)
                return NULL;
            p += 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
            if (p + 2 >= e || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80)
                return NULL;
            p += 3;
        } else if (c >= 0xF0 && c <= 0xF4) {
            unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
            if (p + 3 >= e || p[1] < lo || p[1] > hi || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
                return NULL;
            p += 4;
        } else {
            return NULL;
        }
    }
}

/* A JSON number (RFC 8259 section 6) orjson reads as a finite value: at most 32 characters, an exponent
 * of at most two digits.  Returns its end or NULL. */
static const unsigned char *number_end(const unsigned char *p, const unsigned char *e) {
    const unsigned char *s = p;
    if (p < e && *p == '-')
        p++;
    if (p >= e)
        return NULL;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < e && (unsigned)(*p - '0') < 10)
            p++;
    } else {
        return NULL;
    }
    if (p < e && *p == '.') {
        p++;
        if (p >= e || *p < '0' || *p > '9')
            return NULL;
        while (p < e && (unsigned)(*p - '0') < 10)
            p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        const unsigned char *d = p;
        while (p < e && (unsigned)(*p - '0') < 10)
            p++;
        if (p == d || p - d > 2)
            return NULL;
    }
    if (p - s > 32)
        return NULL;
    return p;
}

static const unsigned char *value_end(const unsigned char *p, const unsigned char *e, int depth);

static const unsigned char *container_end(const unsigned char *p, const unsigned char *e, int depth) {
    unsigned char close = *p == '{' ? '}' : ']';
    int object = *p == '{';
    if (depth >= MAX_DEPTH)
        return NULL;
    p = ws(p + 1, e);
    if (p < e && *p == close)
        return p + 1;
    for (;;) {
        if (object) {
            int esc = 0;
            if (p >= e || *p != '"')
                return NULL;
            p = string_end(p + 1, e, &esc);
            if (p == NULL)
                return NULL;
            p = ws(p + 1, e);
            if (p >= e || *p != ':')
                return NULL;
            p = ws(p + 1, e);
        }
        p = value_end(p, e, depth + 1);
        if (p == NULL)
            return NULL;
        p = ws(p, e);
        if (p >= e)
            return NULL;
        if (*p == close)
            return p + 1;
        if (*p != ',')
            return NULL;
        p = ws(p + 1, e);
    }
}

static const unsigned char *value_end(const unsigned char *p, const unsigned char *e, int depth) {
    if (p >= e)
        return NULL;
    switch (*p) {
    case '"': {
        int esc = 0;
        const unsigned char *q = string_end(p + 1, e, &esc);
        return q == NULL ? NULL : q + 1;
    }
    case '{':
    case '[':
        return container_end(p, e, depth);
    case 't':
        return e - p >= 4 && memcmp(p, "true", 4) == 0 ? p + 4 : NULL;
    case 'f':
        return e - p >= 5 && memcmp(p, "false", 5) == 0 ? p + 5 : NULL;
    case 'n':
        return e - p >= 4 && memcmp(p, "null", 4) == 0 ? p + 4 : NULL;
    default:
        return number_end(p, e);
    }
}

/* The top-level members of the line [p, e) (without its newline); -1 if the line is not certainly a
 * JSON object read here. */
static Py_ssize_t members(const unsigned char *p, const unsigned char *e, Member *out) {
    Py_ssize_t n = 0;
    p = ws(p, e);
    if (p >= e || *p != '{')
        return -1;
    p = ws(p + 1, e);
    if (p < e && *p == '}') {
        p = ws(p + 1, e);
        return p == e ? 0 : -1;
    }
    for (;;) {
        int esc = 0;
        if (p >= e || *p != '"' || n >= MAX_MEMBERS)
            return -1;
        const unsigned char *k = p + 1;
        p = string_end(k, e, &esc);
        if (p == NULL || esc) /* (a key with an escape may be another key's text once decoded) */
            return -1;
        out[n].k = k;
        out[n].klen = p - k;
        out[n].kh = key_hash(k, (size_t)(p - k));
        p = ws(p + 1, e);
        if (p >= e || *p != ':')
            return -1;
        p = ws(p + 1, e);
        const unsigned char *v = p;
        p = value_end(p, e, 1);
        if (p == NULL)
            return -1;
        out[n].v = v;
        out[n].vlen = p - v;
        n++;
        p = ws(p, e);
        if (p >= e)
            return -1;
        if (*p == '}') {
            p = ws(p + 1, e);
            return p == e ? n : -1;
        }
        if (*p != ',')
            return -1;
        p = ws(p + 1, e);
    }
}

/* ---- the memo ------------------------------------------------------------------------------------- */
typedef struct {
    unsigned char *name;
    Py_ssize_t len;
    uint64_t h;
    int64_t *consts; /* abstract(), difference(): sorted constants, or NULL */
    Py_ssize_t nconsts;
    int role;            /* difference(): 1 the minuend, 2 the subtrahend, 0 neither */
    unsigned char *pair; /* ... and the other key of the two */
    Py_ssize_t pairlen;
    uint64_t pairh;
} Key;

typedef struct {
    uint64_t h;
    uint32_t off, len; /* in the variant's arena; len 0: an empty slot */
    uint32_t result;   /* learn()'s result: 0 no rule matched, else the caller's number for the rules */
} Entry;

typedef struct {
    int nkeys;
    int keys[MAX_KEYS];    /* indexes into the type's keys, in learn()'s order */
    Entry *table;          /* open addressing, cap slots */
    Py_ssize_t cap, count;
    unsigned char *arena;
    Py_ssize_t used, size;
    long long hits;
    /* a filter of the entries' hashes (two bits each), so that a line this key set does not know is
     * mostly told without reading the table: a key set's table is large, each probe a cache miss.  Sized
     * with the table (8 bits a slot, at most FILTER_BITS): a small filter stays in the cache */
    uint64_t *filter;
    uint32_t fmask; /* its bits - 1 */
} Variant;

typedef struct {
    unsigned char *name;
    Py_ssize_t len;
    uint64_t h;
    Key keys[MAX_KEYS];
    int nkeys;
    int slots[KEY_TABLE]; /* key hash table: index + 1, 0 empty */
    Variant *variants[MAX_VARIANTS];
    int nvariants;
    int off;              /* hit too rarely: lines go to Python unlearnt */
    long long looked, hit, window_looked, window_hit;
} Type;

/* How to write the alerts of a list of rules: ops is a tuple of bytes (written as they are) and ints: -1
 * the time (30 bytes), 3 * i + kind the piece ``kind`` (0 text escaped for JSON, 1 value as JSON, 2 text)
 * of the program's field i, fields[i] the caller's number for it; codes[i] is op i's int (OP_BYTES for
 * bytes), read once by program() rather than at every alert. */
#define OP_BYTES (-2)
typedef struct {
    PyObject *ops;
    long *codes;
    Py_ssize_t nfields;
    Py_ssize_t fields[MAX_FIELDS];
} Program;

typedef struct {
    PyObject_HEAD
    Type **types;  /* open addressing on the type's hash, MAX_TYPES * 2 slots */
    Py_ssize_t ntypes;
    PyObject *abstract; /* dict: key (str) -> tuple of int */
    PyObject *pairs;    /* dict: key (str) -> (the other key, role, tuple of int): difference() */
    size_t bytes;       /* arena bytes over all variants */
    long long skipped, passed, known, learnt, resets, wrote;
    /* scratch */
    Member m[MAX_MEMBERS];
    Py_ssize_t nm; /* the members of the line read last */
    const unsigned char *vals[MAX_KEYS];
    Py_ssize_t vlens[MAX_KEYS];
    int vm[MAX_KEYS];              /* per key, the member its value is */
    uint64_t mh[MAX_MEMBERS];      /* per member, the hash of its value ... */
    uint64_t mh_line[MAX_MEMBERS]; /* ... valid when this is line_no (one per line read) */
    uint64_t line_no;
    uint32_t places[MAX_KEYS]; /* per key with constants and a canonical integer: its place + 1, else 0;
                                  PLACE_LATER: not worked out yet (place_of()) */
    Type *bound;               /* the type bind() was given last */
    unsigned char *blob;
    Py_ssize_t blobcap;
    /* the outputs: per output field (the caller's number j), a memo of its own, whose key sets are
     * indexes into the keys of ``fkeys`` (one binding of a line serves all fields); its entries number
     * pieces[] (the field's text escaped for JSON, its value as JSON, its text) */
    Type *fkeys;
    Type **fields;
    Py_ssize_t nfields;
    PyObject **pieces;
    Py_ssize_t npieces, piecescap;
    /* program(): per number of rules, how to write their alerts; how many times scan() wrote them into
     * its sink since drain() */
    Program **programs;
    long long *written;
    Py_ssize_t nprograms;
    Py_ssize_t *touched; /* the numbers with written > 0 */
    Py_ssize_t ntouched, touchedcap;
    Py_ssize_t found[MAX_FIELDS]; /* the pieces of the line read last, per field of its program */
    int64_t last_second; /* the time text of this second, made last */
    char second_text[20];
} Screen;

#define TYPE_SLOTS (MAX_TYPES * 2)

static void variant_clear(Screen *s, Variant *v) {
    s->bytes -= (size_t)v->size;
    PyMem_Free(v->table);
    PyMem_Free(v->arena);
    v->table = NULL;
    v->arena = NULL;
    v->cap = v->count = v->used = v->size = 0;
    PyMem_Free(v->filter);
    v->filter = NULL;
    v->fmask = 0;
}

static inline int filter_has(const Variant *v, uint64_t h) {
    uint32_t a = (uint32_t)(h >> 32) & v->fmask, b = (uint32_t)(h >> 48) ^ (uint32_t)(h >> 16);
    b &= v->fmask;
    return (v->filter[a >> 6] >> (a & 63) & 1) && (v->filter[b >> 6] >> (b & 63) & 1);
}

static inline void filter_add(Variant *v, uint64_t h) {
    uint32_t a = (uint32_t)(h >> 32) & v->fmask, b = (uint32_t)(h >> 48) ^ (uint32_t)(h >> 16);
    b &= v->fmask;
    v->filter[a >> 6] |= 1ULL << (a & 63);
    v->filter[b >> 6] |= 1ULL << (b & 63);
}

static void type_free(Screen *s, Type *t) {
    for (int i = 0; i < t->nvariants; i++) {
        variant_clear(s, t->variants[i]);
        PyMem_Free(t->variants[i]);
    }
    for (int i = 0; i < t->nkeys; i++) {
        PyMem_Free(t->keys[i].name);
        PyMem_Free(t->keys[i].consts);
        PyMem_Free(t->keys[i].pair);
    }
    PyMem_Free(t->name);
    PyMem_Free(t);
}

static void reset_all(Screen *s) {
    for (Py_ssize_t i = 0; i < TYPE_SLOTS; i++)
        if (s->types[i] != NULL)
            for (int j = 0; j < s->types[i]->nvariants; j++)
                variant_clear(s, s->types[i]->variants[j]);
    for (Py_ssize_t i = 0; i < s->nfields; i++)
        if (s->fields[i] != NULL)
            for (int j = 0; j < s->fields[i]->nvariants; j++)
                variant_clear(s, s->fields[i]->variants[j]);
    s->resets++;
}

static Type *find_type(Screen *s, const unsigned char *name, Py_ssize_t len, int create) {
    uint64_t h = hash_bytes(name, (size_t)len);
    Py_ssize_t i = (Py_ssize_t)(h & (TYPE_SLOTS - 1));
    for (;;) {
        Type *t = s->types[i];
        if (t == NULL)
            break;
        if (t->h == h && t->len == len && memcmp(t->name, name, (size_t)len) == 0)
            return t;
        i = (i + 1) & (TYPE_SLOTS - 1);
    }
    if (!create || s->ntypes >= MAX_TYPES)
        return NULL;
    Type *t = PyMem_Calloc(1, sizeof(Type));
    if (t == NULL)
        return NULL;
    t->name = PyMem_Malloc((size_t)len + 1);
    if (t->name == NULL) {
        PyMem_Free(t);
        return NULL;
    }
    memcpy(t->name, name, (size_t)len);
    t->name[len] = 0;
    t->len = len;
    t->h = h;
    s->types[i] = t;
    s->ntypes++;
    return t;
}

/* Whether the len bytes at a and b are equal: keys are short, a call to memcmp costs more than this. */
static inline int same_bytes(const unsigned char *a, const unsigned char *b, Py_ssize_t len) {
    if (len >= 8 && len <= 16) { /* (the first and the last 8 bytes: all of them) */
        uint64_t a0, a1, b0, b1;
        memcpy(&a0, a, 8);
        memcpy(&b0, b, 8);
        memcpy(&a1, a + len - 8, 8);
        memcpy(&b1, b + len - 8, 8);
        return a0 == b0 && a1 == b1;
    }
    return memcmp(a, b, (size_t)len) == 0;
}

static inline int find_key(Type *t, const unsigned char *k, Py_ssize_t len, uint64_t h) {
    int i = (int)(h & (KEY_TABLE - 1));
    for (;;) {
        int j = t->slots[i];
        if (j == 0)
            return -1;
        Key *key = &t->keys[j - 1];
        if (key->h == h && key->len == len && same_bytes(key->name, k, len))
            return j - 1;
        i = (i + 1) & (KEY_TABLE - 1);
    }
}

/* The index of key ``k`` in ``t`` (added if new, with its abstraction); -1 when full or out of memory. */
static int add_key(Screen *s, Type *t, PyObject *name) {
    Py_ssize_t len;
    const char *k = PyUnicode_AsUTF8AndSize(name, &len);
    if (k == NULL)
        return -2;
    uint64_t h = key_hash((const unsigned char *)k, (size_t)len);
    int j = find_key(t, (const unsigned char *)k, len, h);
    if (j >= 0)
        return j;
    if (t->nkeys >= MAX_KEYS)
        return -1;
    Key *key = &t->keys[t->nkeys];
    memset(key, 0, sizeof(Key));
    key->name = PyMem_Malloc((size_t)len + 1);
    if (key->name == NULL)
        return -1;
    memcpy(key->name, k, (size_t)len);
    key->len = len;
    key->h = h;
    PyObject *consts = t == s->fkeys ? NULL : PyDict_GetItemWithError(s->abstract, name); /* (outputs: bytes) */
    if (consts == NULL && PyErr_Occurred())
        return -2;
    PyObject *pair = t == s->fkeys || consts != NULL ? NULL : PyDict_GetItemWithError(s->pairs, name);
    if (pair == NULL && PyErr_Occurred())
        return -2;
    if (pair != NULL) { /* (the other key, role, constants) */
        Py_ssize_t olen;
        const char *other = PyUnicode_AsUTF8AndSize(PyTuple_GET_ITEM(pair, 0), &olen);
        if (other == NULL)
            return -2;
        key->pair = PyMem_Malloc((size_t)olen + 1);
        if (key->pair == NULL) {
            PyMem_Free(key->name);
            return -1;
        }
        memcpy(key->pair, other, (size_t)olen);
        key->pairlen = olen;
        key->pairh = key_hash(key->pair, (size_t)olen);
        key->role = (int)PyLong_AsLong(PyTuple_GET_ITEM(pair, 1));
        consts = PyTuple_GET_ITEM(pair, 2);
    }
    if (consts != NULL) {
        Py_ssize_t n = PyTuple_GET_SIZE(consts);
        key->consts = PyMem_Malloc(sizeof(int64_t) * (size_t)(n > 0 ? n : 1));
        if (key->consts == NULL) {
            PyMem_Free(key->name);
            PyMem_Free(key->pair);
            return -1;
        }
        for (Py_ssize_t i = 0; i < n; i++)
            key->consts[i] = PyLong_AsLongLong(PyTuple_GET_ITEM(consts, i));
        key->nconsts = n;
    }
    int i = (int)(h & (KEY_TABLE - 1));
    while (t->slots[i] != 0)
        i = (i + 1) & (KEY_TABLE - 1);
    t->slots[i] = t->nkeys + 1;
    return t->nkeys++;
}

/* A canonical JSON integer (no fraction, no exponent, no leading zero) that fits 64 bits: its value in
 * *out. */
static int canonical_int(const unsigned char *p, Py_ssize_t n, int64_t *out) {
    int neg = 0;
    if (n > 0 && *p == '-') {
        neg = 1;
        p++;
        n--;
    }
    if (n < 1 || n > 19 || (n > 1 && *p == '0'))
        return 0;
    uint64_t v = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(p[i] - '0'); /* (19 digits fit 64 unsigned bits) */
    }
    if (v > (uint64_t)INT64_MAX + (uint64_t)neg)
        return 0;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 1;
}

static int grow_blob(Screen *s, Py_ssize_t need) {
    if (need <= s->blobcap)
        return 0;
    Py_ssize_t cap = s->blobcap ? s->blobcap : 4096;
    while (cap < need)
        cap *= 2;
    unsigned char *b = PyMem_Realloc(s->blob, (size_t)cap);
    if (b == NULL)
        return -1;
    s->blob = b;
    s->blobcap = cap;
    return 0;
}

static uint32_t place(const Key *key, __int128 n);
static int pair_value(Screen *s, const Key *key, int64_t *out);

/* Key k's place (see bind()), worked out at its first use for the binding: most keys with constants
 * are not in the key set that answers a line. */
static inline uint32_t place_of(Screen *s, int k) {
    if (s->places[k] != PLACE_LATER)
        return s->places[k];
    const Key *key = &s->bound->keys[k];
    int64_t n, other;
    uint32_t r = 0;
    if (canonical_int(s->vals[k], s->vlens[k], &n)) {
        if (key->role == 0)
            r = place(key, n);
        else if (pair_value(s, key, &other) && (key->role == 1 ? other : n) > 0)
            /* a difference the rules compare with constants (see difference()): the minuend by where
             * minuend - subtrahend falls among them, the subtrahend as "a positive integer" */
            r = key->role == 2 ? 0x7fffffff : place(key, (__int128)n - other);
    }
    return s->places[k] = r;
}

/* The memo key of variant ``v`` for the values in s->vals, into s->blob; its length, -1 on no memory.
 * Per key: 0 (absent) | 1 + the value's place among the abstraction's constants | 2 + length + bytes. */
static Py_ssize_t blob_of(Screen *s, Variant *v) {
    Py_ssize_t need = 0;
    for (int i = 0; i < v->nkeys; i++)
        need += 5 + s->vlens[v->keys[i]];
    if (grow_blob(s, need) < 0)
        return -1;
    unsigned char *b = s->blob;
    for (int i = 0; i < v->nkeys; i++) {
        int k = v->keys[i];
        if (s->vals[k] == NULL) {
            *b++ = 0;
        } else if (place_of(s, k)) {
            *b++ = 1;
            memcpy(b, &s->places[k], 4);
            b += 4;
        } else {
            uint32_t l32 = (uint32_t)s->vlens[k];
            *b++ = 2;
            memcpy(b, &l32, 4);
            b += 4;
            memcpy(b, s->vals[k], (size_t)s->vlens[k]);
            b += s->vlens[k];
        }
    }
    return b - s->blob;
}

/* Whether the stored memo key [b, b + len) is variant v's key of the values in s->vals (blob_of's
 * layout, compared without building it). */
static int blob_equal(Screen *s, Variant *v, const unsigned char *b, Py_ssize_t len) {
    const unsigned char *e = b + len;
    for (int i = 0; i < v->nkeys; i++) {
        int k = v->keys[i];
        if (b >= e)
            return 0;
        if (s->vals[k] == NULL) {
            if (*b++ != 0)
                return 0;
        } else if (place_of(s, k)) {
            if (e - b < 5 || *b != 1 || memcmp(b + 1, &s->places[k], 4) != 0)
                return 0;
            b += 5;
        } else {
            uint32_t l32 = (uint32_t)s->vlens[k];
            if (e - b < 5 || *b != 2 || memcmp(b + 1, &l32, 4) != 0 || e - b - 5 < (Py_ssize_t)l32 ||
                memcmp(b + 5, s->vals[k], l32) != 0)
                return 0;
            b += 5 + l32;
        }
    }
    return b == e;
}

/* Key k's part of a memo key's hash; a value's bytes are hashed at their first use for the line (the
 * hash kept by member: the rules' binding and the fields' share it). */
static inline uint64_t value_hash(Screen *s, int k) {
    if (s->vals[k] == NULL)
        return 0x51ed270b27e8bd2bULL;
    uint32_t at = place_of(s, k);
    if (at)
        return mix(0x7a3b9c1d00000000ULL + at);
    int i = s->vm[k];
    if (s->mh_line[i] != s->line_no) {
        s->mh_line[i] = s->line_no;
        s->mh[i] = hash_bytes(s->vals[k], (size_t)s->vlens[k]);
    }
    return s->mh[i];
}

static uint64_t variant_hash(Screen *s, Variant *v) {
    uint64_t h = 0x2545f4914f6cdd1dULL;
    for (int i = 0; i < v->nkeys; i++) {
        h = (h ^ value_hash(s, v->keys[i])) * 0x9e3779b97f4a7c15ULL;
        h = (h << 31) | (h >> 33);
    }
    return mix(h);
}

/* The entry of variant v for the values in s->vals, or NULL. */
static Entry *variant_find(Screen *s, Variant *v, uint64_t h) {
    if (v->cap == 0 || !filter_has(v, h))
        return NULL;
    Py_ssize_t i = (Py_ssize_t)(h & (uint64_t)(v->cap - 1));
    for (;;) {
        Entry *en = &v->table[i];
        if (en->len == 0)
            return NULL;
        if (en->h == h && blob_equal(s, v, v->arena + en->off, en->len))
            return en;
        i = (i + 1) & (v->cap - 1);
    }
}

static int variant_add(Screen *s, Variant *v, const unsigned char *blob, Py_ssize_t len, uint64_t h,
                       uint32_t result) {
    if (len <= 0 || len > 0x7fffffff)
        return 0;
    if (s->bytes + (size_t)len > MAX_BYTES)
        reset_all(s);
    if (v->count >= MAX_ENTRIES)
        variant_clear(s, v);
    if (v->count * 2 >= v->cap) {
        Py_ssize_t cap = v->cap ? v->cap * 2 : 64;
        Entry *table = PyMem_Calloc((size_t)cap, sizeof(Entry));
        if (table == NULL)
            return -1;
        for (Py_ssize_t i = 0; i < v->cap; i++) {
            Entry *en = &v->table[i];
            if (en->len == 0)
                continue;
            Py_ssize_t j = (Py_ssize_t)(en->h & (uint64_t)(cap - 1));
            while (table[j].len != 0)
                j = (j + 1) & (cap - 1);
            table[j] = *en;
        }
        Py_ssize_t bits = cap * 8 < 512 ? 512 : cap * 8 > FILTER_BITS ? FILTER_BITS : cap * 8;
        if ((uint32_t)bits != v->fmask + 1) { /* (the filter grows with the table: made again) */
            uint64_t *filter = PyMem_Calloc((size_t)bits / 64, sizeof(uint64_t));
            if (filter == NULL) {
                PyMem_Free(table);
                return -1;
            }
            PyMem_Free(v->filter);
            v->filter = filter;
            v->fmask = (uint32_t)bits - 1;
            for (Py_ssize_t i = 0; i < cap; i++)
                if (table[i].len != 0)
                    filter_add(v, table[i].h);
        }
        PyMem_Free(v->table);
        v->table = table;
        v->cap = cap;
    }
    if (v->used + len > v->size) {
        Py_ssize_t size = v->size ? v->size : 16384;
        while (size < v->used + len)
            size *= 2;
        unsigned char *a = PyMem_Realloc(v->arena, (size_t)size);
        if (a == NULL)
            return -1;
        s->bytes += (size_t)(size - v->size);
        v->arena = a;
        v->size = size;
    }
    Py_ssize_t i = (Py_ssize_t)(h & (uint64_t)(v->cap - 1));
    while (v->table[i].len != 0)
        i = (i + 1) & (v->cap - 1);
    memcpy(v->arena + v->used, blob, (size_t)len);
    v->table[i].h = h;
    v->table[i].off = (uint32_t)v->used;
    v->table[i].len = (uint32_t)len;
    v->table[i].result = result;
    filter_add(v, h);
    v->used += len;
    v->count++;
    return 1;
}

/* Reads the line [p, e)'s members into s->m; its evt.type's text in *tn, *tl.  0 if the line is not read
 * here (not certainly an object, no string evt.type without escapes, evt.type twice). */
static int parse_line(Screen *s, const unsigned char *p, const unsigned char *e, const unsigned char **tn,
                      Py_ssize_t *tl) {
    Py_ssize_t n = s->nm = members(p, e, s->m);
    s->line_no++; /* (the values' hashes are worked out afresh) */
    if (n <= 0)
        return 0;
    static const unsigned char evt_type[] = "evt.type";
    uint64_t h = key_hash(evt_type, 8);
    *tn = NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        Member *m = &s->m[i];
        if (m->kh == h && m->klen == 8 && memcmp(m->k, evt_type, 8) == 0) {
            if (*tn != NULL || m->vlen < 2 || m->v[0] != '"')
                return 0;
            *tn = m->v + 1;
            *tl = m->vlen - 2;
            if (memchr(*tn, '\\', (size_t)*tl) != NULL)
                return 0;
        }
    }
    return *tn != NULL;
}

/* Where n falls among key's constants: 2 * (constants below n) + (n is one) + 1. */
static uint32_t place(const Key *key, __int128 n) {
    Py_ssize_t lo = 0, hi = key->nconsts;
    while (lo < hi) {
        Py_ssize_t mid = (lo + hi) / 2;
        if (key->consts[mid] < n)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (uint32_t)(2 * lo + (lo < key->nconsts && key->consts[lo] == n) + 1);
}

/* The value of the other key of key's difference in the parsed line, when it is there once as a
 * canonical integer. */
static int pair_value(Screen *s, const Key *key, int64_t *out) {
    const Member *found = NULL;
    for (Py_ssize_t i = 0; i < s->nm; i++) {
        const Member *m = &s->m[i];
        if (m->kh == key->pairh && m->klen == key->pairlen && memcmp(m->k, key->pair, (size_t)m->klen) == 0) {
            if (found != NULL)
                return 0;
            found = m;
        }
    }
    return found != NULL && canonical_int(found->v, found->vlen, out);
}

/* Sets s->vals (and places) to the parsed line's values under t's keys; 0 when one of them is written
 * twice. */
static int bind(Screen *s, Type *t) {
    for (int k = 0; k < t->nkeys; k++)
        s->vals[k] = NULL;
    for (Py_ssize_t i = 0; i < s->nm; i++) {
        Member *m = &s->m[i];
        int k = find_key(t, m->k, m->klen, m->kh);
        if (k < 0)
            continue;
        if (s->vals[k] != NULL) /* a key written twice */
            return 0;
        s->vals[k] = m->v;
        s->vlens[k] = m->vlen;
        s->vm[k] = (int)i;
    }
    for (int k = 0; k < t->nkeys; k++)
        s->places[k] = s->vals[k] != NULL && t->keys[k].consts != NULL ? PLACE_LATER : 0;
    s->bound = t;
    return 1;
}

/* The program of the rules numbered n, or NULL. */
static inline Program *program_of(Screen *s, Py_ssize_t n) {
    return n >= 1 && n < s->nprograms ? s->programs[n] : NULL;
}

static void program_free(Program *g) {
    if (g != NULL) {
        Py_DECREF(g->ops);
        PyMem_Free(g->codes);
        PyMem_Free(g);
    }
}

/* The memo of output field j (created if asked and new); NULL if not there. */
static Type *field_memo(Screen *s, Py_ssize_t j, int create) {
    if (j < s->nfields && s->fields[j] != NULL)
        return s->fields[j];
    if (!create || j < 0 || j >= MAX_FIELD_IDS)
        return NULL;
    if (s->fkeys == NULL && (s->fkeys = PyMem_Calloc(1, sizeof(Type))) == NULL)
        return NULL;
    if (j >= s->nfields) {
        Py_ssize_t cap = s->nfields ? s->nfields : 64;
        while (cap <= j)
            cap *= 2;
        Type **f = PyMem_Realloc(s->fields, (size_t)cap * sizeof(Type *));
        if (f == NULL)
            return NULL;
        for (Py_ssize_t i = s->nfields; i < cap; i++)
            f[i] = NULL;
        s->fields = f;
        s->nfields = cap;
    }
    return s->fields[j] = PyMem_Calloc(1, sizeof(Type));
}

/* The entry of the bound line in t's memo (NULL: none); counts the look-up for t's hit rate. */
static Entry *lookup(Screen *s, Type *t) {
    for (int i = 0; i < t->nvariants; i++) {
        Variant *v = t->variants[i];
        if (v->count == 0)
            continue;
        Entry *en = variant_find(s, v, variant_hash(s, v));
        if (en != NULL) {
            v->hits++;
            if (i > 0 && v->hits > t->variants[i - 1]->hits) { /* the most useful key sets first */
                t->variants[i] = t->variants[i - 1];
                t->variants[i - 1] = v;
            }
            t->looked++;
            t->hit++;
            t->window_hit++;
            t->window_looked++;
            return en;
        }
    }
    t->looked++;
    if (++t->window_looked >= WINDOW) {
        if (t->window_hit < MIN_HITS * WINDOW)
            t->off = 1;
        t->window_looked = t->window_hit = 0;
    }
    return NULL;
}

/* Whether the memo knows every field of program g for the bound line (its pieces then in s->found); a
 * field whose memo is off sets *off. */
static int fields_known(Screen *s, Program *g, int *off) {
    if (g->nfields > 0 && (s->fkeys == NULL || !bind(s, s->fkeys)))
        return 0;
    for (Py_ssize_t i = 0; i < g->nfields; i++) {
        Type *t = field_memo(s, g->fields[i], 0);
        if (t != NULL && t->off) {
            *off = 1;
            return 0;
        }
        Entry *en = t == NULL ? NULL : lookup(s, t);
        if (en == NULL)
            return 0;
        s->found[i] = (Py_ssize_t)en->result;
    }
    return 1;
}

/* What the memo says of the line [p, e): 1 it matches nothing; 2 + n it matches learn()'s result n; 0 it
 * does not know (learn it); -1 the line is not read here or its type is not learnt.  With fields (for a
 * sink), for 2 + n, *out says whether the fields of n's program are known for the line (1, pieces in
 * s->found), are to be learnt (-1: also when there is no program yet) or not (-2: a field's memo is
 * off). */
static long answer(Screen *s, const unsigned char *p, const unsigned char *e, int fields, long *out) {
    const unsigned char *tn;
    Py_ssize_t tl;
    if (!parse_line(s, p, e, &tn, &tl))
        return -1;
    Type *t = find_type(s, tn, tl, 1);
    if (t == NULL || t->off || !bind(s, t))
        return -1;
    Entry *en = lookup(s, t);
    if (en == NULL)
        return 0;
    if (en->result == 0)
        return 1;
    Program *g = program_of(s, (Py_ssize_t)en->result);
    *out = fields ? -1 : -2; /* (no program yet: the caller may make one) */
    if (fields && g != NULL) {
        int off = 0;
        *out = fields_known(s, g, &off) ? 1 : off ? -2 : -1;
    }
    return 2 + (long)en->result;
}

/* The line read last's evt.time, when it is there once as a canonical integer: 1 and *out, else 0. */
static int event_time_of(Screen *s, int64_t *out) {
    static const unsigned char name[] = "evt.time";
    uint64_t h = key_hash(name, 8);
    const Member *found = NULL;
    for (Py_ssize_t i = 0; i < s->nm; i++) {
        const Member *m = &s->m[i];
        if (m->kh == h && m->klen == 8 && memcmp(m->k, name, 8) == 0) {
            if (found != NULL)
                return 0;
            found = m;
        }
    }
    return found != NULL && canonical_int(found->v, found->vlen, out);
}

static PyObject *event_time(Screen *s) {
    int64_t v;
    if (!event_time_of(s, &v))
        Py_RETURN_NONE;
    return PyLong_FromLongLong((long long)v);
}

/* ns >= 0 nanoseconds since the epoch as RFC 3339 with nanoseconds, "2024-05-01T12:00:00.123456789Z"
 * (30 bytes), what model/alert.py's rfc3339_ns makes: the proleptic Gregorian calendar of Python's
 * datetime, days to a civil date by H. Hinnant's algorithm ("chrono-Compatible Low-Level Date
 * Algorithms", days_from_civil's inverse); int64 nanoseconds end in 2262, well inside years 1-9999. */
static void time_text(Screen *s, int64_t ns, char *out) {
    int64_t sec = ns / 1000000000, frac = ns % 1000000000;
    if (sec != s->last_second || s->second_text[0] == 0) {
        int64_t z = sec / 86400 + 719468, rest = sec % 86400;
        int64_t era = z / 146097; /* (z >= 0: ns >= 0) */
        unsigned doe = (unsigned)(z - era * 146097);
        unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        unsigned mp = (5 * doy + 2) / 153;
        unsigned d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
        long long y = (long long)yoe + era * 400 + (m <= 2);
        unsigned parts[6] = {(unsigned)y, m, d, (unsigned)(rest / 3600), (unsigned)(rest / 60 % 60),
                             (unsigned)(rest % 60)};
        char *w = s->second_text;
        for (int i = 0; i < 6; i++) {
            for (int k = i == 0 ? 1000 : 10; k > 0; k /= 10)
                *w++ = (char)('0' + parts[i] / (unsigned)k % 10);
            *w++ = "--T::"[i < 5 ? i : 0];
        }
        *--w = 0;
        s->last_second = sec;
    }
    memcpy(out, s->second_text, 19);
    out[19] = '.';
    for (int i = 28; i >= 20; i--) {
        out[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    out[29] = 'Z';
}

/* Appends to sink the alerts of the rules numbered n (their program) at ns, with the pieces of the line
 * read last (s->found). */
static inline PyObject *op_bytes(Screen *s, Program *g, Py_ssize_t i) {
    long k = g->codes[i];
    return k == OP_BYTES ? PyTuple_GET_ITEM(g->ops, i) : PyTuple_GET_ITEM(s->pieces[s->found[k / 3]], k % 3);
}

static int write_alerts(Screen *s, PyObject *sink, Py_ssize_t n, int64_t ns) {
    Program *g = s->programs[n];
    Py_ssize_t nops = PyTuple_GET_SIZE(g->ops), add = 0, at = PyByteArray_GET_SIZE(sink);
    for (Py_ssize_t i = 0; i < nops; i++)
        add += g->codes[i] == -1 ? 30 : PyBytes_GET_SIZE(op_bytes(s, g, i));
    if (PyByteArray_Resize(sink, at + add) < 0)
        return -1;
    char t[30], *w = PyByteArray_AS_STRING(sink) + at;
    time_text(s, ns, t);
    for (Py_ssize_t i = 0; i < nops; i++) {
        if (g->codes[i] == -1) {
            memcpy(w, t, 30);
            w += 30;
            continue;
        }
        PyObject *op = op_bytes(s, g, i);
        memcpy(w, PyBytes_AS_STRING(op), (size_t)PyBytes_GET_SIZE(op));
        w += PyBytes_GET_SIZE(op);
    }
    s->wrote++;
    if (s->written[n]++ == 0) {
        if (s->ntouched == s->touchedcap) {
            Py_ssize_t cap = s->touchedcap ? s->touchedcap * 2 : 256;
            Py_ssize_t *nt = PyMem_Realloc(s->touched, (size_t)cap * sizeof(Py_ssize_t));
            if (nt == NULL) {
                s->written[n]--;
                PyErr_NoMemory();
                return -1;
            }
            s->touched = nt;
            s->touchedcap = cap;
        }
        s->touched[s->ntouched++] = n;
    }
    return 0;
}

/* ---- Python interface ----------------------------------------------------------------------------- */
static PyObject *Screen_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    Screen *s = (Screen *)type->tp_alloc(type, 0);
    if (s == NULL)
        return NULL;
    s->types = PyMem_Calloc(TYPE_SLOTS, sizeof(Type *));
    s->abstract = PyDict_New();
    s->pairs = PyDict_New();
    if (s->types == NULL || s->abstract == NULL || s->pairs == NULL) {
        Py_DECREF(s);
        return PyErr_NoMemory();
    }
    return (PyObject *)s;
}

static void Screen_dealloc(Screen *s) {
    if (s->types != NULL) {
        for (Py_ssize_t i = 0; i < TYPE_SLOTS; i++)
            if (s->types[i] != NULL)
                type_free(s, s->types[i]);
        PyMem_Free(s->types);
    }
    Py_XDECREF(s->abstract);
    Py_XDECREF(s->pairs);
    PyMem_Free(s->blob);
    for (Py_ssize_t i = 0; i < s->npieces; i++)
        Py_XDECREF(s->pieces[i]);
    PyMem_Free(s->pieces);
    for (Py_ssize_t i = 0; i < s->nfields; i++)
        if (s->fields[i] != NULL) {
            s->fields[i]->nkeys = 0; /* (its keys are fkeys') */
            type_free(s, s->fields[i]);
        }
    PyMem_Free(s->fields);
    if (s->fkeys != NULL)
        type_free(s, s->fkeys);
    for (Py_ssize_t i = 0; i < s->nprograms; i++)
        program_free(s->programs[i]);
    PyMem_Free(s->programs);
    PyMem_Free(s->written);
    PyMem_Free(s->touched);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

/* Whether abstract() or difference() may still be called with these constants (else an exception). */
static int check_constants(Screen *s, PyObject *consts, const char *what) {
    if (s->ntypes > 0) {
        PyErr_Format(PyExc_RuntimeError, "%s() must come before the first line", what);
        return 0;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(consts);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *c = PyTuple_GET_ITEM(consts, i);
        int overflow = 0;
        if (!PyLong_CheckExact(c)) {
            PyErr_SetString(PyExc_TypeError, "constants must be ints");
            return 0;
        }
        long long v = PyLong_AsLongLongAndOverflow(c, &overflow);
        if (overflow || (v == -1 && PyErr_Occurred())) {
            PyErr_Clear();
            PyErr_SetString(PyExc_ValueError, "constants must fit 64 bits");
            return 0;
        }
        if (i > 0 && PyLong_AsLongLong(PyTuple_GET_ITEM(consts, i - 1)) >= v) {
            PyErr_SetString(PyExc_ValueError, "constants must be sorted and distinct");
            return 0;
        }
    }
    return 1;
}

/* Whether key is not yet given to abstract() or difference(). */
static int unclaimed(Screen *s, PyObject *key) {
    int a = PyDict_Contains(s->abstract, key), b = a < 0 ? -1 : PyDict_Contains(s->pairs, key);
    if (a == 0 && b == 0)
        return 1;
    if (a >= 0 && b >= 0)
        PyErr_Format(PyExc_ValueError, "key %R is already stored another way", key);
    return 0;
}

static PyObject *Screen_abstract(Screen *s, PyObject *args) {
    PyObject *key, *consts;
    if (!PyArg_ParseTuple(args, "UO!:abstract", &key, &PyTuple_Type, &consts))
        return NULL;
    if (!check_constants(s, consts, "abstract") || !unclaimed(s, key) || PyDict_SetItem(s->abstract, key, consts) < 0)
        return NULL;
    Py_RETURN_NONE;
}

/* difference(minuend, subtrahend, constants): the rules read these two keys only through their difference
 * (when both are integers and the subtrahend is positive, else nothing: extract.py's _duration), which
 * they only compare with these integer constants.  Where the line has both as canonical integers and the
 * subtrahend is positive, the memo stores the minuend by where the difference falls among the constants
 * and the subtrahend as "a positive integer"; otherwise both by their bytes. */
static PyObject *Screen_difference(Screen *s, PyObject *args) {
    PyObject *a, *b, *consts;
    if (!PyArg_ParseTuple(args, "UUO!:difference", &a, &b, &PyTuple_Type, &consts))
        return NULL;
    if (!check_constants(s, consts, "difference") || !unclaimed(s, a) || !unclaimed(s, b))
        return NULL;
    if (PyUnicode_Compare(a, b) == 0) {
        PyErr_SetString(PyExc_ValueError, "difference(): two keys");
        return NULL;
    }
    PyObject *pa = Py_BuildValue("(OiO)", b, 1, consts), *pb = Py_BuildValue("(Oi())", a, 2);
    int bad = pa == NULL || pb == NULL || PyDict_SetItem(s->pairs, a, pa) < 0 || PyDict_SetItem(s->pairs, b, pb) < 0;
    Py_XDECREF(pa);
    Py_XDECREF(pb);
    if (bad)
        return NULL;
    Py_RETURN_NONE;
}

/* scan(buffer, pos, max_line, max_learn, sink=None) -> (items, skipped, end, lines): items is a flat list
 * of (line number from 0, start, stop, code, time, fields, mark) for the complete lines from pos the memo
 * does not answer as matching nothing (and those longer than max_line bytes with their newline); code is
 * 0: evaluate, 1: evaluate and learn, n >= 2: the line matches the rules learn() numbered n - 1, time is
 * its evt.time (None: not a canonical integer, or not there).  With a bytearray sink, a line whose rules
 * have a program() and whose fields the memo knows, with an evt.time >= 0, is not an item: its alerts are
 * appended to sink, and mark is the sink's size when an item's line came (its alerts go after what the
 * sink had then); fields is -1 for a line whose fields are to be learnt (learn_fields()), else -2 (or 1:
 * known, but the time was not).  The scan stops after max_learn lines to learn (so that what they teach
 * serves the lines after them) or at the last complete line; end is where it stopped, lines the count of
 * lines read. */
static PyObject *Screen_scan(Screen *s, PyObject *args) {
    Py_buffer buf;
    Py_ssize_t pos, max_line, max_learn;
    PyObject *sink = Py_None;
    if (!PyArg_ParseTuple(args, "y*nnn|O:scan", &buf, &pos, &max_line, &max_learn, &sink))
        return NULL;
    if (sink != Py_None && !PyByteArray_CheckExact(sink)) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_TypeError, "sink must be a bytearray or None");
        return NULL;
    }
    PyObject *items = PyList_New(0);
    if (items == NULL) {
        PyBuffer_Release(&buf);
        return NULL;
    }
    const unsigned char *base = buf.buf, *end = base + buf.len;
    const unsigned char *p = base + (pos < 0 ? 0 : pos > buf.len ? buf.len : pos);
    Py_ssize_t line = 0, skipped = 0, learning = 0;
    for (;;) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            break;
        long out = -2;
        long a = nl + 1 - p > max_line ? -1 : answer(s, p, nl, sink != Py_None, &out);
        int64_t ns;
        if (a == 1) {
            skipped++;
        } else if (a >= 2 && out == 1 && event_time_of(s, &ns) && ns >= 0) {
            s->known++;
            if (write_alerts(s, sink, (Py_ssize_t)(a - 2), ns) < 0) {
                Py_DECREF(items);
                PyBuffer_Release(&buf);
                return NULL;
            }
        } else {
            s->known += a >= 2;
            PyObject *t[7] = {PyLong_FromSsize_t(line), PyLong_FromSsize_t(p - base),
                              PyLong_FromSsize_t(nl + 1 - base), PyLong_FromLong(a < 0 ? 0 : a == 0 ? 1 : a - 1),
                              NULL, PyLong_FromLong(out),
                              PyLong_FromSsize_t(sink == Py_None ? 0 : PyByteArray_GET_SIZE(sink))};
            if (a >= 2) {
                t[4] = event_time(s);
            } else {
                Py_INCREF(Py_None);
                t[4] = Py_None;
            }
            int bad = 0;
            for (int i = 0; i < 7; i++) {
                if (t[i] == NULL || (!bad && PyList_Append(items, t[i]) < 0))
                    bad = 1;
                Py_XDECREF(t[i]);
            }
            if (bad) {
                Py_DECREF(items);
                PyBuffer_Release(&buf);
                return NULL;
            }
        }
        line++;
        p = nl + 1;
        if (a == 0 && ++learning >= max_learn) /* (learnt before the lines that follow are read) */
            break;
    }
    s->skipped += skipped;
    s->passed += PyList_GET_SIZE(items) / 7;
    Py_ssize_t stop = p - base;
    PyBuffer_Release(&buf);
    return Py_BuildValue("(Nnnn)", items, skipped, stop, line);
}

/* program(number, ops, fields): how to write the alerts of the rules learn() numbered ``number`` (see
 * Program); fields: the caller's numbers of the output fields the ops name. */
static PyObject *Screen_program(Screen *s, PyObject *args) {
    Py_ssize_t n;
    PyObject *ops, *fields;
    if (!PyArg_ParseTuple(args, "nO!O!:program", &n, &PyTuple_Type, &ops, &PyTuple_Type, &fields))
        return NULL;
    Py_ssize_t nf = PyTuple_GET_SIZE(fields);
    if (n < 1 || n >= (1 << 24) || nf > MAX_FIELDS) {
        PyErr_SetString(PyExc_ValueError, "program(): a number in [1, 2**24), at most 128 fields");
        return NULL;
    }
    Program *g = PyMem_Calloc(1, sizeof(Program));
    if (g == NULL)
        return PyErr_NoMemory();
    for (Py_ssize_t i = 0; i < nf; i++) {
        g->fields[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(fields, i));
        if (g->fields[i] < 0 || g->fields[i] >= MAX_FIELD_IDS) {
            PyMem_Free(g);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "program(): field numbers in [0, 65536)");
            return NULL;
        }
    }
    g->nfields = nf;
    g->codes = PyMem_Calloc((size_t)PyTuple_GET_SIZE(ops) + 1, sizeof(long));
    if (g->codes == NULL) {
        PyMem_Free(g);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(ops); i++) {
        PyObject *op = PyTuple_GET_ITEM(ops, i);
        long k = PyBytes_CheckExact(op) ? OP_BYTES : PyLong_Check(op) ? PyLong_AsLong(op) : -3;
        if ((k < -1 && k != OP_BYTES) || k >= 3 * nf || (k == -1 && PyErr_Occurred())) {
            PyMem_Free(g->codes);
            PyMem_Free(g);
            if (!PyErr_Occurred())
                PyErr_SetString(PyExc_ValueError, "program(): ops are bytes, -1 or 3 * field + kind");
            return NULL;
        }
        g->codes[i] = k;
    }
    g->ops = ops;
    Py_INCREF(ops);
    if (n >= s->nprograms) {
        Py_ssize_t cap = s->nprograms ? s->nprograms : 256;
        while (cap <= n)
            cap *= 2;
        Program **np = PyMem_Realloc(s->programs, (size_t)cap * sizeof(Program *));
        long long *nw = np == NULL ? NULL : PyMem_Realloc(s->written, (size_t)cap * sizeof(long long));
        if (np != NULL)
            s->programs = np;
        if (nw == NULL) {
            Py_DECREF(ops);
            PyMem_Free(g);
            return PyErr_NoMemory();
        }
        s->written = nw;
        for (Py_ssize_t i = s->nprograms; i < cap; i++) {
            s->programs[i] = NULL;
            s->written[i] = 0;
        }
        s->nprograms = cap;
    }
    program_free(s->programs[n]);
    s->programs[n] = g;
    Py_RETURN_NONE;
}

/* drain() -> list: (number, count) flat, for the numbers of rules whose alerts scan() wrote into its sink
 * since the last drain(), how many times; the counts start again from 0. */
static PyObject *Screen_drain(Screen *s, PyObject *unused) {
    PyObject *out = PyList_New(0);
    if (out == NULL)
        return NULL;
    for (Py_ssize_t k = 0; k < s->ntouched; k++) {
        Py_ssize_t i = s->touched[k];
        PyObject *o = PyLong_FromSsize_t(i), *c = PyLong_FromLongLong(s->written[i]);
        int bad = o == NULL || c == NULL || PyList_Append(out, o) < 0 || PyList_Append(out, c) < 0;
        Py_XDECREF(o);
        Py_XDECREF(c);
        if (bad) {
            Py_DECREF(out);
            return NULL;
        }
    }
    for (Py_ssize_t k = 0; k < s->ntouched; k++)
        s->written[s->touched[k]] = 0;
    s->ntouched = 0;
    return out;
}

/* Stores ``number`` in memo t under the bound line's values at the keys k (the indexes of ``keys``, a tuple
 * of str, in the key table of kt, which s is bound to): 1 stored, 0 not (full, or known), -1 error. */
static int learn_into(Screen *s, Type *t, Type *kt, PyObject *keys, unsigned int number) {
    Py_ssize_t nk = PyTuple_GET_SIZE(keys);
    if (nk > MAX_KEYS || t->off)
        return 0;
    int idx[MAX_KEYS];
    for (Py_ssize_t i = 0; i < nk; i++) {
        PyObject *k = PyTuple_GET_ITEM(keys, i);
        if (!PyUnicode_Check(k)) {
            PyErr_SetString(PyExc_TypeError, "keys must be str");
            return -1;
        }
        idx[i] = add_key(s, kt, k);
        if (idx[i] == -2)
            return -1;
        if (idx[i] < 0)
            return 0;
    }
    if (!bind(s, kt)) /* (a key twice) */
        return 0;
    Variant *v = NULL;
    for (int i = 0; i < t->nvariants && v == NULL; i++) {
        Variant *c = t->variants[i];
        if (c->nkeys == nk && memcmp(c->keys, idx, sizeof(int) * (size_t)nk) == 0)
            v = c;
    }
    if (v == NULL) {
        if (t->nvariants >= MAX_VARIANTS)
            return 0;
        v = PyMem_Calloc(1, sizeof(Variant));
        if (v == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        v->nkeys = (int)nk;
        memcpy(v->keys, idx, sizeof(int) * (size_t)nk);
        t->variants[t->nvariants++] = v;
    }
    uint64_t h = variant_hash(s, v);
    if (variant_find(s, v, h) != NULL)
        return 0;
    Py_ssize_t len = blob_of(s, v);
    if (len < 0) {
        PyErr_NoMemory();
        return -1;
    }
    int r = variant_add(s, v, s->blob, len, h, number);
    if (r < 0) {
        PyErr_NoMemory();
        return -1;
    }
    s->learnt += r > 0;
    return r > 0;
}

/* The line in a buffer, without its newline, parsed: 0 if it is not read here. */
static int parse_learnt(Screen *s, Py_buffer *buf, const unsigned char **tn, Py_ssize_t *tl) {
    const unsigned char *p = buf->buf, *e = p + buf->len;
    while (e > p && (e[-1] == '\n'))
        e--;
    return parse_line(s, p, e, tn, tl);
}

/* learn(line, keys, number) -> bool: remember that an event with line's values under keys (a tuple of str,
 * in one order per key set) matches the rules the caller numbers ``number`` (0: none).  False when the
 * line is not read here, the memo is full, or it knew. */
static PyObject *Screen_learn(Screen *s, PyObject *args) {
    Py_buffer buf;
    PyObject *keys;
    unsigned int number;
    if (!PyArg_ParseTuple(args, "y*O!I:learn", &buf, &PyTuple_Type, &keys, &number))
        return NULL;
    const unsigned char *tn;
    Py_ssize_t tl;
    int r = 0;
    if (parse_learnt(s, &buf, &tn, &tl)) {
        Type *t = find_type(s, tn, tl, 1);
        r = t == NULL ? 0 : learn_into(s, t, t, keys, number);
    }
    PyBuffer_Release(&buf);
    if (r < 0)
        return NULL;
    return PyBool_FromLong(r);
}

/* Learns one field for the parsed line: 1 stored, 0 not, -1 error. */
static int learn_one_field(Screen *s, PyObject *keys, Py_ssize_t j, PyObject *pieces) {
    if (!PyTuple_Check(keys) || !PyTuple_Check(pieces) || PyTuple_GET_SIZE(pieces) != 3 ||
        !PyBytes_CheckExact(PyTuple_GET_ITEM(pieces, 0)) || !PyBytes_CheckExact(PyTuple_GET_ITEM(pieces, 1)) ||
        !PyBytes_CheckExact(PyTuple_GET_ITEM(pieces, 2))) {
        PyErr_SetString(PyExc_TypeError, "learn_fields(): (keys, field, pieces): a tuple of str, an int, three bytes");
        return -1;
    }
    if (j < 0 || j >= MAX_FIELD_IDS) {
        PyErr_SetString(PyExc_ValueError, "learn_fields(): a field number in [0, 65536)");
        return -1;
    }
    if (s->npieces >= MAX_PIECES)
        return 0;
    Type *t = field_memo(s, j, 1);
    if (t == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (s->npieces == s->piecescap) {
        Py_ssize_t cap = s->piecescap ? s->piecescap * 2 : 1024;
        PyObject **np = PyMem_Realloc(s->pieces, (size_t)cap * sizeof(PyObject *));
        if (np == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        s->pieces = np;
        s->piecescap = cap;
    }
    int r = learn_into(s, t, s->fkeys, keys, (unsigned int)s->npieces);
    if (r > 0) {
        Py_INCREF(pieces);
        s->pieces[s->npieces++] = pieces;
    }
    return r;
}

/* learn_fields(line, fields) -> int: remember, for each (keys, field, pieces) of the list ``fields``, that
 * output field ``field`` (the caller's number) of an event with line's values under keys is ``pieces``:
 * (its text escaped for JSON, its value as JSON, its text), bytes.  How many were new; 0 also when the line
 * is not read here or the memo is full. */
static PyObject *Screen_learn_fields(Screen *s, PyObject *args) {
    Py_buffer buf;
    PyObject *fields;
    if (!PyArg_ParseTuple(args, "y*O!:learn_fields", &buf, &PyList_Type, &fields))
        return NULL;
    const unsigned char *tn;
    Py_ssize_t tl, learnt = 0;
    int r = 0;
    if (parse_learnt(s, &buf, &tn, &tl))
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(fields) && r >= 0; i++) {
            PyObject *f = PyList_GET_ITEM(fields, i);
            if (!PyTuple_Check(f) || PyTuple_GET_SIZE(f) != 3) {
                PyErr_SetString(PyExc_TypeError, "learn_fields(): a list of (keys, field, pieces)");
                r = -1;
                break;
            }
            Py_ssize_t j = PyLong_AsSsize_t(PyTuple_GET_ITEM(f, 1));
            if (j == -1 && PyErr_Occurred()) {
                r = -1;
                break;
            }
            r = learn_one_field(s, PyTuple_GET_ITEM(f, 0), j, PyTuple_GET_ITEM(f, 2));
            learnt += r > 0;
        }
    PyBuffer_Release(&buf);
    if (r < 0)
        return NULL;
    return PyLong_FromSsize_t(learnt);
}

/* write(line, number, sink) -> bool: appends to the bytearray sink the alerts of line's event for the rules
 * numbered ``number`` (which the caller found it matches), as scan() would: when their program and the
 * line's fields are known and its evt.time is an integer >= 0; False otherwise (nothing written). */
static PyObject *Screen_write(Screen *s, PyObject *args) {
    Py_buffer buf;
    Py_ssize_t n;
    PyObject *sink;
    if (!PyArg_ParseTuple(args, "y*nO!:write", &buf, &n, &PyByteArray_Type, &sink))
        return NULL;
    const unsigned char *tn;
    Py_ssize_t tl;
    int64_t ns;
    int off = 0, r = 0;
    Program *g = program_of(s, n);
    if (g != NULL && parse_learnt(s, &buf, &tn, &tl) && fields_known(s, g, &off) && event_time_of(s, &ns) &&
        ns >= 0)
        r = write_alerts(s, sink, n, ns) < 0 ? -1 : 1;
    PyBuffer_Release(&buf);
    if (r < 0)
        return NULL;
    return PyBool_FromLong(r);
}

/* missing(line, number) -> tuple | None: the caller's numbers of the fields of the program of the rules
 * numbered ``number`` that the memo does not know for ``line`` (not those whose memo is off); None when
 * there is no such program or the line is not read here. */
static PyObject *Screen_missing(Screen *s, PyObject *args) {
    Py_buffer buf;
    Py_ssize_t n;
    if (!PyArg_ParseTuple(args, "y*n:missing", &buf, &n))
        return NULL;
    const unsigned char *tn;
    Py_ssize_t tl;
    Program *g = program_of(s, n);
    if (g == NULL || !parse_learnt(s, &buf, &tn, &tl) || (s->fkeys != NULL && !bind(s, s->fkeys))) {
        PyBuffer_Release(&buf);
        Py_RETURN_NONE;
    }
    PyBuffer_Release(&buf);
    PyObject *out = PyList_New(0);
    for (Py_ssize_t i = 0; out != NULL && i < g->nfields; i++) {
        Type *t = s->fkeys == NULL ? NULL : field_memo(s, g->fields[i], 0);
        if (t != NULL && (t->off || lookup(s, t) != NULL))
            continue;
        PyObject *j = PyLong_FromSsize_t(g->fields[i]);
        if (j == NULL || PyList_Append(out, j) < 0)
            Py_CLEAR(out);
        Py_XDECREF(j);
    }
    if (out == NULL)
        return NULL;
    PyObject *t = PyList_AsTuple(out);
    Py_DECREF(out);
    return t;
}

/* One memo's counters into dict d under name (a new reference, stolen). */
static int type_stats(PyObject *d, Type *t, PyObject *name) {
    Py_ssize_t entries = 0;
    for (int j = 0; j < t->nvariants; j++)
        entries += t->variants[j]->count;
    PyObject *v = name == NULL ? NULL
                               : Py_BuildValue("{sLsLsnsnsO}", "looked", t->looked, "hits", t->hit, "key_sets",
                                               (Py_ssize_t)t->nvariants, "entries", entries, "off",
                                               t->off ? Py_True : Py_False);
    int r = v == NULL ? -1 : PyDict_SetItem(d, name, v);
    Py_XDECREF(v);
    Py_XDECREF(name);
    return r;
}

static PyObject *Screen_stats(Screen *s, PyObject *unused) {
    PyObject *types = PyDict_New(), *fields = PyDict_New();
    if (types == NULL || fields == NULL)
        goto fail;
    for (Py_ssize_t i = 0; i < TYPE_SLOTS; i++) {
        Type *t = s->types[i];
        if (t != NULL &&
            type_stats(types, t, PyUnicode_DecodeUTF8((const char *)t->name, t->len, "replace")) < 0)
            goto fail;
    }
    for (Py_ssize_t i = 0; i < s->nfields; i++)
        if (s->fields[i] != NULL && type_stats(fields, s->fields[i], PyLong_FromSsize_t(i)) < 0)
            goto fail;
    return Py_BuildValue("{sLsLsLsLsLsLsnsnsNsN}", "skipped", s->skipped, "passed", s->passed, "known", s->known,
                         "wrote", s->wrote, "learnt", s->learnt, "resets", s->resets, "bytes", (Py_ssize_t)s->bytes,
                         "pieces", s->npieces, "types", types, "fields", fields);
fail:
    Py_XDECREF(types);
    Py_XDECREF(fields);
    return NULL;
}

static PyMethodDef Screen_methods[] = {
    {"abstract", (PyCFunction)Screen_abstract, METH_VARARGS, "abstract(key, constants): see the module."},
    {"difference", (PyCFunction)Screen_difference, METH_VARARGS,
     "difference(minuend, subtrahend, constants): see the module."},
    {"scan", (PyCFunction)Screen_scan, METH_VARARGS,
     "scan(buffer, pos, max_line, max_learn, sink=None) -> (items, skipped, end, lines)."},
    {"program", (PyCFunction)Screen_program, METH_VARARGS, "program(number, ops, fields): see the module."},
    {"learn_fields", (PyCFunction)Screen_learn_fields, METH_VARARGS,
     "learn_fields(line, fields) -> int: see the module."},
    {"missing", (PyCFunction)Screen_missing, METH_VARARGS, "missing(line, number) -> tuple | None."},
    {"write", (PyCFunction)Screen_write, METH_VARARGS, "write(line, number, sink) -> bool: see the module."},
    {"drain", (PyCFunction)Screen_drain, METH_NOARGS, "drain() -> list of (number, count), flat."},
    {"learn", (PyCFunction)Screen_learn, METH_VARARGS, "learn(line, keys, number) -> bool."},
    {"stats", (PyCFunction)Screen_stats, METH_NOARGS, "stats() -> dict of counters."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ScreenType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "stockade.runtime.rules._screen.Screen",
    .tp_basicsize = sizeof(Screen),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "A replay's memo of events that match no rule (see the module).",
    .tp_new = Screen_new,
    .tp_dealloc = (destructor)Screen_dealloc,
    .tp_methods = Screen_methods,
};

/* ---- Recorder: a dict noting the keys read from it ------------------------------------------------ */
/* The engine reads an event through get(), [] and ``in``; screen.Recorder (a Python subclass) marks the
 * reads that take the whole event.  In C because an evaluation reads dozens of keys: a Python-level
 * get() made learning a line cost twice its evaluation. */
typedef struct {
    PyDictObject dict;
    PyObject *seen; /* dict: key read -> None, in the order first read */
} RecBase;

static int note(RecBase *r, PyObject *key) {
    if (r->seen == NULL) {
        r->seen = PyDict_New();
        if (r->seen == NULL)
            return -1;
    }
    return PyDict_SetItem(r->seen, key, Py_None);
}

static PyObject *RecBase_get(RecBase *r, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs < 1 || nargs > 2) {
        PyErr_SetString(PyExc_TypeError, "get expected 1 or 2 arguments");
        return NULL;
    }
    if (note(r, args[0]) < 0)
        return NULL;
    PyObject *v = PyDict_GetItemWithError((PyObject *)r, args[0]);
    if (v == NULL) {
        if (PyErr_Occurred())
            return NULL;
        v = nargs == 2 ? args[1] : Py_None;
    }
    Py_INCREF(v);
    return v;
}

static PyObject *RecBase_subscript(RecBase *r, PyObject *key) {
    if (note(r, key) < 0)
        return NULL;
    return PyDict_Type.tp_as_mapping->mp_subscript((PyObject *)r, key);
}

static int RecBase_contains(RecBase *r, PyObject *key) {
    if (note(r, key) < 0)
        return -1;
    return PyDict_Contains((PyObject *)r, key);
}

static PyObject *RecBase_seen(RecBase *r, void *unused) {
    if (r->seen == NULL && (r->seen = PyDict_New()) == NULL)
        return NULL;
    Py_INCREF(r->seen);
    return r->seen;
}

/* keys() -> the keys read, sorted, as a tuple; None if one of them is not a str. */
static PyObject *RecBase_keys_read(RecBase *r, PyObject *unused) {
    if (r->seen == NULL)
        return PyTuple_New(0);
    PyObject *keys = PyDict_Keys(r->seen);
    if (keys == NULL)
        return NULL;
    Py_ssize_t n = PyList_GET_SIZE(keys);
    for (Py_ssize_t i = 0; i < n; i++)
        if (!PyUnicode_CheckExact(PyList_GET_ITEM(keys, i))) {
            Py_DECREF(keys);
            Py_RETURN_NONE;
        }
    if (PyList_Sort(keys) < 0) {
        Py_DECREF(keys);
        return NULL;
    }
    PyObject *t = PyList_AsTuple(keys);
    Py_DECREF(keys);
    return t;
}

static int RecBase_traverse(RecBase *r, visitproc visit, void *arg) {
    Py_VISIT(r->seen);
    return PyDict_Type.tp_traverse((PyObject *)r, visit, arg);
}

static int RecBase_clear(RecBase *r) {
    Py_CLEAR(r->seen);
    return PyDict_Type.tp_clear((PyObject *)r);
}

static void RecBase_dealloc(RecBase *r) {
    Py_CLEAR(r->seen);
    PyDict_Type.tp_dealloc((PyObject *)r);
}

static PyMethodDef RecBase_methods[] = {
    {"get", (PyCFunction)(void (*)(void))RecBase_get, METH_FASTCALL, "get(key, default=None), noting key."},
    {"sorted_keys", (PyCFunction)RecBase_keys_read, METH_NOARGS,
     "The keys read, sorted, as a tuple; None if one is not a str."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef RecBase_getset[] = {
    {"seen", (getter)RecBase_seen, NULL, "The keys read, in order (a dict: key -> None).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyMappingMethods RecBase_mapping;
static PySequenceMethods RecBase_sequence;

static PyTypeObject RecBaseType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "stockade.runtime.rules._screen.RecorderBase",
    .tp_basicsize = sizeof(RecBase),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "A dict noting the keys read from it by get(), [] and in (see screen.Recorder).",
    .tp_dealloc = (destructor)RecBase_dealloc,
    .tp_traverse = (traverseproc)RecBase_traverse,
    .tp_clear = (inquiry)RecBase_clear,
    .tp_methods = RecBase_methods,
    .tp_getset = RecBase_getset,
    .tp_as_mapping = &RecBase_mapping,
    .tp_as_sequence = &RecBase_sequence,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_screen", "A replay's memo of events that match no rule.",
                                    -1, NULL};

PyMODINIT_FUNC PyInit__screen(void) {
    init_special();
    if (PyType_Ready(&ScreenType) < 0)
        return NULL;
    RecBase_mapping = *PyDict_Type.tp_as_mapping;
    RecBase_mapping.mp_subscript = (binaryfunc)RecBase_subscript;
    RecBase_sequence = *PyDict_Type.tp_as_sequence;
    RecBase_sequence.sq_contains = (objobjproc)RecBase_contains;
    RecBaseType.tp_base = &PyDict_Type;
    if (PyType_Ready(&RecBaseType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&ScreenType);
    if (PyModule_AddObject(m, "Screen", (PyObject *)&ScreenType) < 0) {
        Py_DECREF(&ScreenType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&RecBaseType);
    if (PyModule_AddObject(m, "RecorderBase", (PyObject *)&RecBaseType) < 0) {
        Py_DECREF(&RecBaseType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
