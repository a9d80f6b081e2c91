/*
 * stockade.target._yamlc — the hot parts of stockade.target.yamlfast's reader, in C.
 *
 * Why C: on a corpus of rendered manifests, splitting every line (yamlfast._LINE.findall) and the walk
 * over the split lines (the reader's node, mapping, sequence, follow and skip) were most of a
 * configuration scan's YAML time, and no YAML library builds Python data with the line of every key
 * natively (PyYAML's C parser makes a Node with two Marks per scalar, which the pure-Python reader
 * already beats; measured in BENCHMARKS.md).  This file translates those pieces line for line, and the
 * one-line plain and quoted scalars of the reader's scalar(), and nothing more: flow collections, block
 * scalars, resolving a plain scalar's text the first time it is seen and re-splitting a "- - x" line are
 * the Python reader's own methods, called back.  It is optional: without a compiler the package installs without
 * it and yamlfast runs the same code in Python.  The tests run every case through both and compare them
 * with PyYAML, and compare tokens() and refused() with the regular expressions they replace.
 *
 * Interface: tokens(lines) -> the _LINE groups of each line; refused(text) -> bool; node(reader, i,
 * path) -> (data, next line), where reader is a yamlfast._Reader; it raises the exception class given to
 * bind() (yamlfast.Unsupported) wherever the Python methods do.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

/* the deepest nesting read here (yamlfast.MAX_DEPTH, passed to bind()); deeper goes to PyYAML */
static Py_ssize_t max_depth = 100;
static PyObject *unsupported_exc = NULL;
static PyObject *str_tok, *str_lines, *str_n, *str_positions, *str_values, *str_memo, *str_rests,
    *str_plain, *str_scalar, *str_retok, *str_empty, *str_q1, *str_q2;

typedef struct {
    PyObject *tok;       /* list of (indentation, dash, key, rest), one per line */
    PyObject *lines;     /* list of str */
    Py_ssize_t n;        /* lines */
    PyObject *positions; /* dict: path -> line (1-based) */
    PyObject *memo;      /* dict: plain scalar text -> value */
    PyObject *rests;     /* dict: text after a key or dash -> value */
    PyObject *plain;     /* callable: plain scalar text -> value */
    PyObject *scalar;    /* callable: (body, i, ind, path) -> (value, next line) */
    PyObject *retok;     /* callable: (i, col, rest) -> None; re-splits line i */
} Ctx;

static PyObject *node(Ctx *c, Py_ssize_t i, PyObject *path, Py_ssize_t *next);
static PyObject *mapping(Ctx *c, Py_ssize_t i, Py_ssize_t ind, PyObject *path, Py_ssize_t *next);
static PyObject *sequence(Ctx *c, Py_ssize_t i, Py_ssize_t ind, PyObject *path, Py_ssize_t *next);

#define CACHED 128
static PyObject *spaces_cache[CACHED]; /* " " * n */
static PyObject *dash_cache[CACHED];   /* "-" + " " * n */

static PyObject *cached(PyObject **cache, Py_ssize_t n, int dash) {
    PyObject *s;
    if (n < CACHED && cache[n] != NULL) {
        Py_INCREF(cache[n]);
        return cache[n];
    }
    s = PyUnicode_New(n + dash, 127);
    if (s == NULL)
        return NULL;
    memset(PyUnicode_1BYTE_DATA(s), ' ', (size_t)(n + dash));
    if (dash)
        PyUnicode_1BYTE_DATA(s)[0] = '-';
    if (n < CACHED) {
        Py_INCREF(s);
        cache[n] = s;
    }
    return s;
}

static int unsupported(const char *why) {
    PyErr_SetString(unsupported_exc, why);
    return -1;
}

/* line i's four parts (borrowed references) */
static int get_tok(Ctx *c, Py_ssize_t i, PyObject **sp, PyObject **dash, PyObject **key, PyObject **rest) {
    PyObject *t;
    if (i < 0 || i >= PyList_GET_SIZE(c->tok)) {
        PyErr_SetString(PyExc_IndexError, "line index out of range");
        return -1;
    }
    t = PyList_GET_ITEM(c->tok, i);
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 4) {
        PyErr_SetString(PyExc_TypeError, "a token must be a 4-tuple");
        return -1;
    }
    *sp = PyTuple_GET_ITEM(t, 0);
    *dash = PyTuple_GET_ITEM(t, 1);
    *key = PyTuple_GET_ITEM(t, 2);
    *rest = PyTuple_GET_ITEM(t, 3);
    if (!PyUnicode_Check(*sp) || !PyUnicode_Check(*dash) || !PyUnicode_Check(*key) || !PyUnicode_Check(*rest)) {
        PyErr_SetString(PyExc_TypeError, "a token's parts must be str");
        return -1;
    }
    return 0;
}

#define LEN(s) PyUnicode_GET_LENGTH(s)
#define CH(s, k) PyUnicode_READ_CHAR((s), (k))

/* whether s is empty or a comment */
static inline int blank_or_comment(PyObject *s) { return LEN(s) == 0 || CH(s, 0) == '#'; }

/* _Reader.skip: the first line from i with content (not blank, not only a comment); -1 on error */
static Py_ssize_t skip(Ctx *c, Py_ssize_t i) {
    PyObject *sp, *dash, *key, *rest;
    for (; i < c->n; i++) {
        if (get_tok(c, i, &sp, &dash, &key, &rest) < 0)
            return -1;
        if (LEN(dash) || LEN(key) || !blank_or_comment(rest))
            return i;
    }
    return c->n;
}

/* _marker: a line that starts with "---" then a space or nothing */
static int marker(Ctx *c, Py_ssize_t i) {
    PyObject *line = PyList_GET_ITEM(c->lines, i);
    Py_ssize_t n;
    if (!PyUnicode_Check(line))
        return 0;
    n = LEN(line);
    return n >= 3 && CH(line, 0) == '-' && CH(line, 1) == '-' && CH(line, 2) == '-' && (n == 3 || CH(line, 3) == ' ');
}

/* the first line with content from i (skip), in *j, with its indentation and dash: 1, or 0 at the end of
   the text, -1 on error */
static int content(Ctx *c, Py_ssize_t i, Py_ssize_t *j, PyObject **sp, PyObject **dash) {
    PyObject *key, *rest;
    *j = skip(c, i);
    if (*j < 0)
        return -1;
    if (*j >= c->n)
        return 0;
    return get_tok(c, *j, sp, dash, &key, &rest) < 0 ? -1 : 1;
}

/* _Reader.follow: the next line with content in *i (and its parts); 1 if it goes on the collection at
   column ind, 0 if not, -1 on error */
static int follow(Ctx *c, Py_ssize_t *i, Py_ssize_t ind, PyObject **sp, PyObject **dash, PyObject **key,
                  PyObject **rest) {
    Py_ssize_t cur;
    int found = content(c, *i, i, sp, dash);
    if (found <= 0)
        return found;
    if (get_tok(c, *i, sp, dash, key, rest) < 0)
        return -1;
    cur = LEN(*sp);
    if (cur < ind || (cur == 0 && marker(c, *i)))
        return 0;
    if (cur > ind)
        return unsupported("continuation line");
    return 1;
}

/* path + (k,) */
static PyObject *extend(PyObject *path, PyObject *k) {
    Py_ssize_t n = PyTuple_GET_SIZE(path), j;
    PyObject *t = PyTuple_New(n + 1);
    if (t == NULL)
        return NULL;
    for (j = 0; j < n; j++) {
        PyObject *x = PyTuple_GET_ITEM(path, j);
        Py_INCREF(x);
        PyTuple_SET_ITEM(t, j, x);
    }
    Py_INCREF(k);
    PyTuple_SET_ITEM(t, n, k);
    return t;
}

static int set_position(Ctx *c, PyObject *path, Py_ssize_t line) {
    PyObject *v = PyLong_FromSsize_t(line);
    int r;
    if (v == NULL)
        return -1;
    r = PyDict_SetItem(c->positions, path, v);
    Py_DECREF(v);
    return r;
}

/* _comment_or_empty: nothing but spaces from k on, or spaces then a comment ("#" after at least one) */
static int comment_or_empty(PyObject *s, Py_ssize_t k) {
    Py_ssize_t n = LEN(s), j = k;
    while (j < n && CH(s, j) == ' ')
        j++;
    return j == n || (CH(s, j) == '#' && j > k);
}

/* _quoted: the one-line quoted scalar at the start of s; the position after its closing quote in *after */
static PyObject *quoted(PyObject *s, Py_ssize_t *after) {
    Py_ssize_t n = LEN(s), e;
    if (CH(s, 0) == '\'') {
        int pairs = 0;
        PyObject *text;
        for (e = 1; e < n; e++) {
            if (CH(s, e) != '\'')
                continue;
            if (e + 1 < n && CH(s, e + 1) == '\'') { /* '' stands for ' */
                pairs = 1;
                e++;
                continue;
            }
            break;
        }
        if (e >= n) {
            unsupported("quoted scalar over several lines");
            return NULL;
        }
        *after = e + 1;
        text = PyUnicode_Substring(s, 1, e);
        if (text != NULL && pairs)
            Py_SETREF(text, PyUnicode_Replace(text, str_q2, str_q1, -1));
        return text;
    }
    for (e = 1; e < n && CH(s, e) != '"'; e++)
        if (CH(s, e) == '\\') {
            unsupported("escape in a double-quoted scalar");
            return NULL;
        }
    if (e >= n) {
        unsupported("quoted scalar over several lines");
        return NULL;
    }
    *after = e + 1;
    return PyUnicode_Substring(s, 1, e);
}

/* _plain then _Values.plain: the plain scalar at the start of body (a block value), resolved */
static PyObject *plain_value(Ctx *c, PyObject *body) {
    Py_ssize_t n = LEN(body), end = n, j;
    Py_UCS4 c0 = CH(body, 0);
    PyObject *text, *v;
    if (c0 != 0 && c0 < 0x80 && strchr("[]{},#&*!|>'\"%@`", (int)c0) != NULL) { /* _NOT_PLAIN_START */
        unsupported("indicator at the start of a plain scalar");
        return NULL;
    }
    if ((c0 == '-' || c0 == '?' || c0 == ':') && (n == 1 || CH(body, 1) == ' ')) {
        unsupported("indicator at the start of a plain scalar");
        return NULL;
    }
    for (j = 0; j + 1 < n; j++) /* up to " #" */
        if (CH(body, j) == ' ' && CH(body, j + 1) == '#') {
            end = j;
            break;
        }
    while (end > 0 && CH(body, end - 1) == ' ')
        end--;
    if (end > 0 && CH(body, end - 1) == ':') {
        unsupported("colon and space in a plain scalar");
        return NULL;
    }
    for (j = 0; j + 1 < end; j++)
        if (CH(body, j) == ':' && CH(body, j + 1) == ' ') {
            unsupported("colon and space in a plain scalar");
            return NULL;
        }
    text = end == n ? (Py_INCREF(body), body) : PyUnicode_Substring(body, 0, end);
    if (text == NULL)
        return NULL;
    v = PyDict_GetItemWithError(c->memo, text);
    if (v != NULL) {
        Py_INCREF(v);
    } else if (!PyErr_Occurred()) {
        v = PyObject_CallOneArg(c->plain, text);
    }
    Py_DECREF(text);
    return v;
}

/* the Python reader's scalar(body, i, ind, path): a new reference to the value, the next line in *next.
   One-line plain and quoted scalars are read here as its scalar() reads them (and remembered in rests
   the same way); block scalars and flow collections are its own. */
static PyObject *scalar(Ctx *c, PyObject *body, Py_ssize_t i, Py_ssize_t ind, PyObject *path, Py_ssize_t *next) {
    Py_UCS4 c0 = CH(body, 0);
    if (c0 != '|' && c0 != '>' && c0 != '[' && c0 != '{') {
        PyObject *v;
        if (c0 == '\'' || c0 == '"') {
            Py_ssize_t after = 0;
            v = quoted(body, &after);
            if (v != NULL && !comment_or_empty(body, after)) {
                Py_CLEAR(v);
                unsupported("text after a quoted scalar");
            }
        } else {
            v = plain_value(c, body);
        }
        if (v == NULL)
            return NULL;
        /* rests[body] = value, bounded, and never a NaN (a NaN key would be a new key each time) */
        if (PyDict_GET_SIZE(c->rests) < 100000 && !(PyFloat_Check(v) && Py_IS_NAN(PyFloat_AS_DOUBLE(v)))) {
            if (PyDict_SetItem(c->rests, body, v) < 0) {
                Py_DECREF(v);
                return NULL;
            }
        }
        *next = i + 1;
        return v;
    }
    PyObject *r = PyObject_CallFunction(c->scalar, "OnnO", body, i, ind, path), *v;
    if (r == NULL)
        return NULL;
    if (!PyTuple_Check(r) || PyTuple_GET_SIZE(r) != 2) {
        Py_DECREF(r);
        PyErr_SetString(PyExc_TypeError, "scalar() must return (value, line)");
        return NULL;
    }
    *next = PyLong_AsSsize_t(PyTuple_GET_ITEM(r, 1));
    if (*next == -1 && PyErr_Occurred()) {
        Py_DECREF(r);
        return NULL;
    }
    v = PyTuple_GET_ITEM(r, 0);
    Py_INCREF(v);
    Py_DECREF(r);
    return v;
}

/* the start of a collection at path: -1 (an error set) when it is nested too deep for this reader, or
   too deep for the C stack; otherwise the caller leaves with Py_LeaveRecursiveCall */
static int enter(PyObject *path, const char *where) {
    if (PyTuple_GET_SIZE(path) > max_depth) {
        unsupported("nested deeper than the fast reader reads");
        return -1;
    }
    return Py_EnterRecursiveCall(where) ? -1 : 0;
}

/* _Reader.node: the block collection whose first line is i */
static PyObject *node(Ctx *c, Py_ssize_t i, PyObject *path, Py_ssize_t *next) {
    PyObject *sp, *dash, *key, *rest;
    if (get_tok(c, i, &sp, &dash, &key, &rest) < 0)
        return NULL;
    if (LEN(dash))
        return sequence(c, i, LEN(sp), path, next);
    if (LEN(key))
        return mapping(c, i, LEN(sp), path, next);
    unsupported("a scalar on a line of its own");
    return NULL;
}

/* a key's value: quoted keys as written (single quotes doubled inside), plain ones resolved */
static PyObject *key_value(Ctx *c, PyObject *key) {
    Py_UCS4 q = CH(key, 0);
    PyObject *k;
    if (q == '\'' || q == '"') {
        k = PyUnicode_Substring(key, 1, LEN(key) - 1);
        if (k != NULL && q == '\'') {
            Py_SETREF(k, PyUnicode_Replace(k, str_q2, str_q1, -1));
        }
        return k;
    }
    k = PyDict_GetItemWithError(c->memo, key);
    if (k != NULL) {
        Py_INCREF(k);
        return k;
    }
    if (PyErr_Occurred())
        return NULL;
    return PyObject_CallOneArg(c->plain, key);
}

/* _Reader.mapping */
static PyObject *mapping(Ctx *c, Py_ssize_t i, Py_ssize_t ind, PyObject *path, Py_ssize_t *next) {
    PyObject *out, *sp, *dash, *key, *rest, *k = NULL, *child = NULL, *value = NULL;
    int more;
    if (enter(path, " in a YAML mapping") < 0)
        return NULL;
    out = PyDict_New();
    if (out == NULL)
        goto fail;
    for (;;) {
        more = follow(c, &i, ind, &sp, &dash, &key, &rest);
        if (more < 0)
            goto fail;
        if (!more)
            break;
        if (LEN(dash)) {
            unsupported("sequence item in a mapping");
            goto fail;
        }
        if (!LEN(key)) {
            unsupported("not a key");
            goto fail;
        }
        if ((k = key_value(c, key)) == NULL)
            goto fail;
        if ((child = extend(path, k)) == NULL || set_position(c, child, i + 1) < 0)
            goto fail;
        value = PyDict_GetItemWithError(c->rests, rest); /* borrowed */
        if (value != NULL) {
            Py_INCREF(value);
            i += 1;
        } else if (PyErr_Occurred()) {
            goto fail;
        } else if (blank_or_comment(rest)) { /* the value is on the lines below, or null */
            Py_ssize_t j;
            PyObject *nsp, *ndash;
            int found = content(c, i + 1, &j, &nsp, &ndash);
            if (found < 0)
                goto fail;
            if (found && LEN(nsp) > ind) {
                value = node(c, j, child, &i);
            } else if (found && LEN(nsp) == ind && LEN(ndash)) {
                value = sequence(c, j, ind, child, &i);
            } else {
                value = Py_None;
                Py_INCREF(value);
                i += 1;
            }
        } else {
            value = scalar(c, rest, i, ind, child, &i);
        }
        if (value == NULL || PyDict_SetItem(out, k, value) < 0)
            goto fail;
        Py_CLEAR(value);
        Py_CLEAR(k);
        Py_CLEAR(child);
    }
    Py_LeaveRecursiveCall();
    *next = i;
    return out;
fail:
    Py_LeaveRecursiveCall();
    Py_XDECREF(value);
    Py_XDECREF(k);
    Py_XDECREF(child);
    Py_XDECREF(out);
    return NULL;
}

/* _Reader.sequence */
static PyObject *sequence(Ctx *c, Py_ssize_t i, Py_ssize_t ind, PyObject *path, Py_ssize_t *next) {
    PyObject *items, *sp, *dash, *key, *rest, *child = NULL, *value = NULL, *index;
    Py_ssize_t col;
    int more;
    if (enter(path, " in a YAML sequence") < 0)
        return NULL;
    items = PyList_New(0);
    if (items == NULL)
        goto fail;
    for (;;) {
        more = follow(c, &i, ind, &sp, &dash, &key, &rest);
        if (more < 0)
            goto fail;
        if (!more)
            break;
        if (!LEN(dash))
            break; /* the next key of the mapping this compact sequence is the value of */
        index = PyLong_FromSsize_t(PyList_GET_SIZE(items));
        if (index == NULL)
            goto fail;
        child = extend(path, index);
        Py_DECREF(index);
        if (child == NULL)
            goto fail;
        col = ind + LEN(dash);
        if (LEN(key)) {
            /* the item is a mapping whose keys are at col */
            PyObject *t, *ind_s;
            if (set_position(c, child, i + 1) < 0)
                goto fail;
            if ((ind_s = cached(spaces_cache, col, 0)) == NULL)
                goto fail;
            t = PyTuple_Pack(4, ind_s, str_empty, key, rest);
            Py_DECREF(ind_s);
            if (t == NULL || PyList_SetItem(c->tok, i, t) < 0) /* (steals t) */
                goto fail;
            value = mapping(c, i, col, child, &i);
        } else if (blank_or_comment(rest)) {
            Py_ssize_t j;
            PyObject *nsp, *ndash;
            int found = content(c, i + 1, &j, &nsp, &ndash);
            if (found < 0)
                goto fail;
            if (!found || LEN(nsp) <= ind) {
                unsupported("empty sequence item");
                goto fail;
            }
            if (set_position(c, child, j + 1) < 0)
                goto fail;
            value = node(c, j, child, &i);
        } else if (CH(rest, 0) == '-' && (LEN(rest) == 1 || CH(rest, 1) == ' ')) {
            /* the item is a sequence whose items are at col */
            PyObject *r;
            if (set_position(c, child, i + 1) < 0)
                goto fail;
            r = PyObject_CallFunction(c->retok, "nnO", i, col, rest);
            if (r == NULL)
                goto fail;
            Py_DECREF(r);
            value = sequence(c, i, col, child, &i);
        } else {
            if (set_position(c, child, i + 1) < 0)
                goto fail;
            value = scalar(c, rest, i, ind, child, &i);
        }
        if (value == NULL || PyList_Append(items, value) < 0)
            goto fail;
        Py_CLEAR(value);
        Py_CLEAR(child);
    }
    Py_LeaveRecursiveCall();
    *next = i;
    return items;
fail:
    Py_LeaveRecursiveCall();
    Py_XDECREF(value);
    Py_XDECREF(child);
    Py_XDECREF(items);
    return NULL;
}

static void ctx_clear(Ctx *c) {
    Py_CLEAR(c->tok);
    Py_CLEAR(c->lines);
    Py_CLEAR(c->positions);
    Py_CLEAR(c->memo);
    Py_CLEAR(c->rests);
    Py_CLEAR(c->plain);
    Py_CLEAR(c->scalar);
    Py_CLEAR(c->retok);
}

static PyObject *py_node(PyObject *self, PyObject *args) {
    PyObject *reader, *path, *values = NULL, *n, *data, *result = NULL;
    Py_ssize_t i, next = 0;
    Ctx c = {0};
    (void)self;
    if (!PyArg_ParseTuple(args, "OnO!:node", &reader, &i, &PyTuple_Type, &path))
        return NULL;
    if (unsupported_exc == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "bind() first");
        return NULL;
    }
    if ((c.tok = PyObject_GetAttr(reader, str_tok)) == NULL || (c.lines = PyObject_GetAttr(reader, str_lines)) == NULL ||
        (c.positions = PyObject_GetAttr(reader, str_positions)) == NULL ||
        (values = PyObject_GetAttr(reader, str_values)) == NULL || (c.memo = PyObject_GetAttr(values, str_memo)) == NULL ||
        (c.rests = PyObject_GetAttr(values, str_rests)) == NULL || (c.plain = PyObject_GetAttr(values, str_plain)) == NULL ||
        (c.scalar = PyObject_GetAttr(reader, str_scalar)) == NULL || (c.retok = PyObject_GetAttr(reader, str_retok)) == NULL)
        goto done;
    if (!PyList_Check(c.tok) || !PyList_Check(c.lines) || !PyDict_Check(c.positions) || !PyDict_Check(c.memo) ||
        !PyDict_Check(c.rests)) {
        PyErr_SetString(PyExc_TypeError, "not a yamlfast reader");
        goto done;
    }
    if ((n = PyObject_GetAttr(reader, str_n)) == NULL)
        goto done;
    c.n = PyLong_AsSsize_t(n);
    Py_DECREF(n);
    if (c.n == -1 && PyErr_Occurred())
        goto done;
    if (c.n > PyList_GET_SIZE(c.tok) || c.n > PyList_GET_SIZE(c.lines)) {
        PyErr_SetString(PyExc_ValueError, "fewer tokens or lines than the reader's line count");
        goto done;
    }
    data = node(&c, i, path, &next);
    if (data != NULL) {
        result = Py_BuildValue("(Nn)", data, next);
    }
done:
    Py_XDECREF(values);
    ctx_clear(&c);
    return result;
}

static PyObject *py_bind(PyObject *self, PyObject *args) {
    PyObject *exc;
    Py_ssize_t depth;
    (void)self;
    if (!PyArg_ParseTuple(args, "On:bind", &exc, &depth))
        return NULL;
    if (!PyExceptionClass_Check(exc)) {
        PyErr_SetString(PyExc_TypeError, "bind() takes an exception class");
        return NULL;
    }
    Py_INCREF(exc);
    Py_XSETREF(unsupported_exc, exc);
    max_depth = depth;
    Py_RETURN_NONE;
}


/* ---- tokens: yamlfast._LINE.findall, one line at a time ------------------------------------------- */

/* where a key ending at e is followed by " *:(?= |$)": the position after the colon, or -1; *t is the
   first non-space at or after e */
static Py_ssize_t colon_after(int kind, const void *d, Py_ssize_t L, Py_ssize_t e, Py_ssize_t *t) {
    Py_ssize_t k = e;
    while (k < L && PyUnicode_READ(kind, d, k) == ' ')
        k++;
    *t = k;
    if (k < L && PyUnicode_READ(kind, d, k) == ':' && (k + 1 == L || PyUnicode_READ(kind, d, k + 1) == ' '))
        return k + 1;
    return -1;
}

static int plain_start(Py_UCS4 c) {
    /* [^ \n#'"&*!|>%@`,\[\]{}?:-] */
    switch (c) {
    case ' ': case '\n': case '#': case '\'': case '"': case '&': case '*': case '!': case '|': case '>':
    case '%': case '@': case '`': case ',': case '[': case ']': case '{': case '}': case '?': case ':': case '-':
        return 0;
    default:
        return 1;
    }
}

/* the key at p (an implicit key of yamlfast._LINE): its end in *kend and the position after its colon,
   or -1 when there is none */
static Py_ssize_t find_key(int kind, const void *d, Py_ssize_t L, Py_ssize_t p, Py_ssize_t *kend) {
    Py_UCS4 c0, c;
    Py_ssize_t e, t, after;
    if (p >= L)
        return -1;
    c0 = PyUnicode_READ(kind, d, p);
    if (c0 == '\'') { /* '(?:[^'\n]|'')*' */
        for (e = p + 1; e < L; e++) {
            c = PyUnicode_READ(kind, d, e);
            if (c == '\n')
                return -1;
            if (c == '\'') {
                if (e + 1 < L && PyUnicode_READ(kind, d, e + 1) == '\'') {
                    e++;
                    continue;
                }
                *kend = e + 1;
                return colon_after(kind, d, L, e + 1, &t);
            }
        }
        return -1;
    }
    if (c0 == '"') { /* "[^"\\\n]*" */
        for (e = p + 1; e < L; e++) {
            c = PyUnicode_READ(kind, d, e);
            if (c == '\\' || c == '\n')
                return -1;
            if (c == '"') {
                *kend = e + 1;
                return colon_after(kind, d, L, e + 1, &t);
            }
        }
        return -1;
    }
    if (plain_start(c0)) { /* [^ ...][^\n#]*? */
        e = p + 1;
    } else if ((c0 == '?' || c0 == ':' || c0 == '-') && p + 1 < L &&
               (c = PyUnicode_READ(kind, d, p + 1)) != ' ' && c != '\n' && c != '#') { /* [?:-][^ \n#][^\n#]*? */
        e = p + 2;
    } else {
        return -1;
    }
    /* lazily: the shortest key followed by " *:(?= |$)" */
    for (;;) {
        after = colon_after(kind, d, L, e, &t);
        if (after >= 0) {
            *kend = e;
            return after;
        }
        /* the spaces from e to t give the same answer at every end among them: go on from t */
        e = t;
        if (e >= L)
            return -1;
        c = PyUnicode_READ(kind, d, e);
        if (c == '#' || c == '\n')
            return -1;
        e++;
    }
}

static PyObject *line_tokens(PyObject *line) {
    int kind = PyUnicode_KIND(line);
    const void *d = PyUnicode_DATA(line);
    Py_ssize_t L = PyUnicode_GET_LENGTH(line), p = 0, q, kend = 0, after;
    PyObject *sp = NULL, *dash = NULL, *key = NULL, *rest = NULL, *t = NULL;
    while (p < L && PyUnicode_READ(kind, d, p) == ' ')
        p++;
    if ((sp = cached(spaces_cache, p, 0)) == NULL)
        goto done;
    if (p < L && PyUnicode_READ(kind, d, p) == '-' && (p + 1 == L || PyUnicode_READ(kind, d, p + 1) == ' ')) {
        q = p + 1;
        while (q < L && PyUnicode_READ(kind, d, q) == ' ')
            q++;
        dash = cached(dash_cache, q - p - 1, 1);
        p = q;
    } else {
        dash = str_empty;
        Py_INCREF(dash);
    }
    if (dash == NULL)
        goto done;
    after = find_key(kind, d, L, p, &kend);
    if (after >= 0) {
        key = PyUnicode_Substring(line, p, kend);
        while (after < L && PyUnicode_READ(kind, d, after) == ' ')
            after++;
        p = after;
    } else {
        key = str_empty;
        Py_INCREF(key);
    }
    if (key == NULL)
        goto done;
    rest = p == 0 ? (Py_INCREF(line), line) : PyUnicode_Substring(line, p, L);
    if (rest == NULL)
        goto done;
    t = PyTuple_Pack(4, sp, dash, key, rest);
done:
    Py_XDECREF(sp);
    Py_XDECREF(dash);
    Py_XDECREF(key);
    Py_XDECREF(rest);
    return t;
}

static PyObject *py_tokens(PyObject *self, PyObject *arg) {
    Py_ssize_t n, i;
    PyObject *out;
    (void)self;
    if (!PyList_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "tokens() takes a list of lines");
        return NULL;
    }
    n = PyList_GET_SIZE(arg);
    out = PyList_New(n);
    if (out == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        PyObject *line = PyList_GET_ITEM(arg, i), *t;
        if (!PyUnicode_Check(line)) {
            PyErr_SetString(PyExc_TypeError, "a line must be str");
            Py_DECREF(out);
            return NULL;
        }
        if ((t = line_tokens(line)) == NULL) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, i, t);
    }
    return out;
}

/* ---- refused: yamlfast._refused, a character the reader leaves to PyYAML -------------------------- */

/* allowed: "\n" and PyYAML's printable set (Reader.NON_PRINTABLE's complement) less tab, carriage
   return, NEL, the BOM and the Unicode line and paragraph separators (yamlfast._REFUSED_PATTERN) */
static inline int allowed(Py_UCS4 c) {
    if (c < 0x80)
        return c == 0x0a || (c >= 0x20 && c <= 0x7e);
    return (c >= 0xa0 && c <= 0x2027) || (c >= 0x202a && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfefe) ||
           (c >= 0xff00 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

static PyObject *py_refused(PyObject *self, PyObject *arg) {
    Py_ssize_t n, i;
    int kind;
    const void *d;
    (void)self;
    if (!PyUnicode_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "refused() takes a str");
        return NULL;
    }
    n = PyUnicode_GET_LENGTH(arg);
    kind = PyUnicode_KIND(arg);
    d = PyUnicode_DATA(arg);
    if (kind == PyUnicode_1BYTE_KIND) {
        const Py_UCS1 *b = (const Py_UCS1 *)d;
        for (i = 0; i < n; i++) {
            Py_UCS1 c = b[i];
            if ((c < 0x20 && c != 0x0a) || (c >= 0x7f && c < 0xa0))
                Py_RETURN_TRUE;
        }
        Py_RETURN_FALSE;
    }
    for (i = 0; i < n; i++)
        if (!allowed(PyUnicode_READ(kind, d, i)))
            Py_RETURN_TRUE;
    Py_RETURN_FALSE;
}

/* ---- json_lines: jsonpos.positions in C ---------------------------------------------------------- */

typedef struct {
    PyObject *text;
    int kind;
    const void *d;
    Py_ssize_t L, i, line;
    PyObject *out;      /* dict: path -> line */
    PyObject *decode;   /* callable: a key with escapes, quotes included -> the key (orjson.loads) */
    Py_ssize_t deepest; /* the deepest collection's path length indexed */
    int give;           /* nesting past deepest: not for this index */
} Js;

#define JS_CH(j) PyUnicode_READ((j)->kind, (j)->d, (j)->i)

static void js_space(Js *j) {
    for (; j->i < j->L; j->i++) {
        Py_UCS4 ch = JS_CH(j);
        if (ch == '\n')
            j->line++;
        else if (ch != ' ' && ch != '\t' && ch != '\r')
            return;
    }
}

/* past the string whose opening quote is at j->i; *escaped: it holds a backslash */
static void js_string(Js *j, int *escaped) {
    for (j->i++; j->i < j->L; j->i++) {
        Py_UCS4 ch = JS_CH(j);
        if (ch == '"') {
            j->i++;
            return;
        }
        if (ch == '\\') {
            *escaped = 1;
            j->i++;
        }
    }
}

/* out[path + (k,)] = line; the new path in *child */
static int js_put(Js *j, PyObject *path, PyObject *k, Py_ssize_t line, PyObject **child) {
    PyObject *n;
    int r;
    *child = extend(path, k);
    if (*child == NULL)
        return -1;
    n = PyLong_FromSsize_t(line);
    r = n == NULL ? -1 : PyDict_SetItem(j->out, *child, n);
    Py_XDECREF(n);
    if (r < 0)
        Py_CLEAR(*child);
    return r;
}

/* the value at j->i of a valid JSON text (orjson has read it), its members and elements indexed */
static int js_value(Js *j, PyObject *path) {
    Py_UCS4 open, close;
    Py_ssize_t index = 0;
    int r = 0;
    js_space(j);
    if (j->i >= j->L)
        return 0;
    open = JS_CH(j);
    if (open == '"') {
        int escaped = 0;
        js_string(j, &escaped);
        return 0;
    }
    if (open != '{' && open != '[') { /* a number or a literal */
        for (; j->i < j->L; j->i++) {
            Py_UCS4 ch = JS_CH(j);
            if (ch == ',' || ch == '}' || ch == ']' || ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n')
                break;
        }
        return 0;
    }
    if (PyTuple_GET_SIZE(path) > j->deepest) { /* (as manifests refuses YAML collections nested deeper) */
        j->give = 1;
        return 0;
    }
    if (Py_EnterRecursiveCall(" reading JSON positions"))
        return -1;
    close = open == '{' ? '}' : ']';
    j->i++;
    for (;;) {
        PyObject *child = NULL, *k;
        js_space(j);
        if (j->i >= j->L || JS_CH(j) == close) {
            j->i++;
            break;
        }
        if (open == '{') {
            Py_ssize_t start = j->i, line = j->line;
            int escaped = 0;
            js_string(j, &escaped);
            if (escaped) {
                PyObject *quoted = PyUnicode_Substring(j->text, start, j->i);
                k = quoted == NULL ? NULL : PyObject_CallOneArg(j->decode, quoted);
                Py_XDECREF(quoted);
            } else {
                k = PyUnicode_Substring(j->text, start + 1, j->i - 1);
            }
            if (k == NULL || js_put(j, path, k, line, &child) < 0) {
                Py_XDECREF(k);
                r = -1;
                break;
            }
            Py_DECREF(k);
            js_space(j);
            if (j->i < j->L && JS_CH(j) == ':')
                j->i++;
        } else {
            k = PyLong_FromSsize_t(index++);
            js_space(j);
            if (k == NULL || js_put(j, path, k, j->line, &child) < 0) {
                Py_XDECREF(k);
                r = -1;
                break;
            }
            Py_DECREF(k);
        }
        r = js_value(j, child);
        Py_DECREF(child);
        if (r < 0 || j->give)
            break;
        js_space(j);
        if (j->i < j->L && JS_CH(j) == ',')
            j->i++;
    }
    Py_LeaveRecursiveCall();
    return r;
}

static PyObject *py_json_lines(PyObject *self, PyObject *args) {
    PyObject *text, *root, *result = NULL;
    Py_ssize_t depth;
    Js j;
    Py_ssize_t root_line;
    (void)self;
    if (!PyArg_ParseTuple(args, "UnO:json_lines", &text, &depth, &j.decode))
        return NULL;
    j.deepest = depth;
    j.text = text;
    j.kind = PyUnicode_KIND(text);
    j.d = PyUnicode_DATA(text);
    j.L = PyUnicode_GET_LENGTH(text);
    j.i = 0;
    j.line = 1;
    j.give = 0;
    js_space(&j);
    if (j.i >= j.L)
        Py_RETURN_NONE;
    root_line = j.line;
    j.out = PyDict_New();
    root = PyTuple_New(0);
    if (j.out == NULL || root == NULL)
        goto done;
    if (js_value(&j, root) < 0)
        goto done;
    if (j.give) {
        result = Py_None;
        Py_INCREF(result);
    } else {
        result = Py_BuildValue("(nO)", root_line, j.out);
    }
done:
    Py_XDECREF(root);
    Py_XDECREF(j.out);
    return result;
}

static PyMethodDef methods[] = {
    {"node", py_node, METH_VARARGS, "node(reader, i, path) -> (data, next line): yamlfast._Reader.node in C."},
    {"tokens", py_tokens, METH_O,
     "tokens(lines) -> [(indentation, dash, key, rest)]: yamlfast._LINE.findall, line by line."},
    {"refused", py_refused, METH_O, "refused(text) -> bool: yamlfast._refused."},
    {"json_lines", py_json_lines, METH_VARARGS,
     "json_lines(text, max_depth, decode) -> (root line, {path: line}) or None: jsonpos.positions in C."},
    {"bind", py_bind, METH_VARARGS, "bind(unsupported, max_depth): the exception to raise and the deepest nesting."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_yamlc", "yamlfast's block walk in C.", -1, methods};

PyMODINIT_FUNC PyInit__yamlc(void) {
#define INTERN(var, text)                                                                                             \
    if ((var = PyUnicode_InternFromString(text)) == NULL)                                                             \
        return NULL;
    INTERN(str_tok, "tok")
    INTERN(str_lines, "lines")
    INTERN(str_n, "n")
    INTERN(str_positions, "positions")
    INTERN(str_values, "values")
    INTERN(str_memo, "memo")
    INTERN(str_rests, "rests")
    INTERN(str_plain, "plain")
    INTERN(str_scalar, "scalar")
    INTERN(str_retok, "retok")
    INTERN(str_empty, "")
    INTERN(str_q1, "'")
    INTERN(str_q2, "''")
#undef INTERN
    return PyModule_Create(&module);
}
