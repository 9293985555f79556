#!/usr/bin/env python3
"""Fails, naming file and line, on any reference in the docs that does not resolve.

    python3 scripts/check_docs.py [--root DIR] [DOC.md ...]

Checked in README.md, WAKERS.md, RELIABILITY.md, BENCHMARKS.md and docs/*.md (or the
docs given), outside fenced code blocks:

- links and images, `[text](target)`: the file exists (relative to the doc) inside
  the repository, and an `#anchor` names a heading of the target doc (GitHub's
  slugs);
- paths in backticks (`net/src/time/sleep.rs`, `reactor/src/sys/`, globs such as
  `tests/examples_*.rs`): the path exists from the root or the doc's folder, or as
  the tail of a path in the tree (`sys/epoll.rs` in the reactor's row of a table);
- `Type::function` in backticks: some `impl Type` (or trait `Type`, or a trait that
  `Type` implements) defines `fn function` outside test-only code, so a name that
  exists only under `#[cfg(test)]` is reported too;
- `function()` and `path::to::item` in backticks: an item of that name exists;
- `Type::Variant { field, .. }` in backticks: the variant (or struct) exists, and
  each field's name occurs in the sources;
- snake_case and SCREAMING_CASE names in backticks (test names, constants, options):
  the word occurs in the sources, or is a file's name.

Names from other projects are skipped: table columns headed `tokio` (the porting
table), and the names in ALLOWED_PREFIXES, EXTERNAL_TYPES and EXTERNAL_WORDS below,
each with its reason. Python 3
stdlib only; Rust sources are read with a small tokenizer, not a parser: good enough
for item names, impl blocks and `#[cfg(test)]`.
"""

import argparse
import fnmatch
import os
import re
import sys
import unicodedata

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from rust_items import Code  # noqa: E402

DEFAULT_DOCS = ["README.md", "WAKERS.md", "RELIABILITY.md", "BENCHMARKS.md"]

# First path segments naming other projects' items: not ours to resolve.
ALLOWED_PREFIXES = {
    "tokio": "the porting table's tokio column and tokio's benchmarks",
    "tokio_stream": "the porting table: tokio's stream crate",
    "std": "the standard library",
    "core": "the standard library",
    "libc": "the libc crate's names",
    "rt": "hyper-util's `rt::{TokioIo, ...}` in the porting table",
    "hyper": "hyper's own API",
    "hyper_util": "hyper-util's own API",
    "futures": "the futures crates",
    **{t: "a primitive type's constant (`u64::MAX`)" for t in
       "u8 u16 u32 u64 u128 usize i8 i16 i32 i64 i128 isize f32 f64".split()},
}

# Bare names in backticks that are not wakeful's.
EXTERNAL_WORDS = {
    "unhandled_panic": "a tokio macro option wakeful lacks (the porting table)",
}

# Table columns (by header) that hold other projects' names, skipped whole: there
# `Builder::new_multi_thread` is tokio's Builder, not wakeful's.
FOREIGN_COLUMNS = {
    "tokio": "the porting table's tokio column",
    "in the ancestors": "the Python ancestors' names (README, where it comes from)",
}

# Types defined outside the workspace that the docs name with a method.
EXTERNAL_TYPES = {
    "Waker": "std::task::Waker",
    "Thread": "std::thread::Thread",
    "Box": "std",
    "Rc": "std",
    "Arc": "std",
    "Vec": "std",
    "Option": "std",
    "Result": "std",
    "Duration": "std::time::Duration (saturating math, MAX)",
    "Context": "std::task::Context",
    "Poll": "std::task::Poll",
    "RawWakerVTable": "std::task::RawWakerVTable",
    "SendTimeoutError": "tokio's mpsc error, in the porting table",
    "Shutdown": "std::net::Shutdown",
}

# Paths that name generated output, present only after a run.
GENERATED_PATHS = ("target/",)
GENERATED_FILES = {"report.md": "written by benches/report.py into target/compare/"}

# The fixture of scripts/test_check_docs.py names code of its own.
SKIP_DIRS = {"target", ".git", "node_modules", "check_docs_fixture"}
PATH_EXTENSIONS = (".rs", ".md", ".sh", ".py", ".toml", ".svg", ".json", ".csv", ".txt", ".yml")


def load_code(root):
    code = Code()
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")]
        for d in dirnames:
            code.file_names.add(d)
        for f in filenames:
            code.file_names.add(f)
            code.file_names.add(os.path.splitext(f)[0])
            path = os.path.join(dirpath, f)
            if f.endswith(".rs"):
                with open(path, encoding="utf-8", errors="replace") as fh:
                    code.add_rust_file(os.path.relpath(path, root), fh.read())
            elif f.endswith((".sh", ".py", ".toml")) or f == "run":
                with open(path, encoding="utf-8", errors="replace") as fh:
                    code.words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", fh.read()))
    return code


def tree_paths(root):
    """Every file and folder (folders with a trailing /), relative to root."""
    paths = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.startswith(".")]
        rel = os.path.relpath(dirpath, root)
        prefix = "" if rel == "." else rel + "/"
        paths += [prefix + d + "/" for d in dirnames] + [prefix + f for f in filenames]
    return paths


# ---------------------------------------------------------------- Markdown


FENCE_RE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN_RE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)
LINK_RE = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_DEF_RE = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(\S+)", re.MULTILINE)
HEADING_RE = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
HTML_ID_RE = re.compile(r"""<a\s+(?:name|id)=["']([^"']+)["']""")


def strip_fences(text):
    """The text with fenced code blocks blanked out, line numbers kept."""
    out, fenced = [], None
    for line in text.split("\n"):
        m = FENCE_RE.match(line)
        if fenced:
            if m and m.group(1) == fenced:
                fenced = None
            out.append("")
        elif m:
            fenced = m.group(1)
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


# `Type::Variant { field, other, .. }`: a struct-like variant (or struct) as a pattern.
STRUCT_PATTERN_RE = re.compile(r"^([A-Z]\w*(?:::[A-Za-z_]\w*)*)\s*\{\s*((?:[a-z_]\w*\s*,\s*)*(?:[a-z_]\w*|\.\.)?)\s*\}$")
CELL_SPLIT_RE = re.compile(r"(?<!\\)\|")


def blank_foreign_columns(text):
    """The text with the cells of FOREIGN_COLUMNS blanked out, offsets kept."""
    lines, out, header = text.split("\n"), [], None
    for n, line in enumerate(lines):
        nxt = lines[n + 1] if n + 1 < len(lines) else ""
        if not line.lstrip().startswith("|"):
            header = None
        elif header is None and re.match(r"^\s*\|?\s*:?-{3,}", nxt):
            header = [c.strip().lower() for c in CELL_SPLIT_RE.split(line)]
        elif header is not None:
            cells, bounds, start = CELL_SPLIT_RE.split(line), [], 0
            for cell in cells:
                bounds.append((start, start + len(cell)))
                start += len(cell) + 1
            chars = list(line)
            for k, (a, b) in enumerate(bounds):
                if k < len(header) and header[k] in FOREIGN_COLUMNS:
                    chars[a:b] = " " * (b - a)
            line = "".join(chars)
        out.append(line)
    return "\n".join(out)


def slug(heading):
    """GitHub's anchor for a heading."""
    text = re.sub(r"`|\*\*|__|\[([^\]]*)\]\([^)]*\)", r"\1", heading).lower()
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "- " or cat[0] in "LM" or cat in ("Nd", "Pc"):
            kept.append(ch)
    return "".join(kept).replace(" ", "-")


def anchors_of(text):
    seen, anchors = {}, set()
    for line in strip_fences(text).split("\n"):
        m = HEADING_RE.match(line)
        if m:
            base = slug(m.group(1))
            n = seen.get(base, 0)
            seen[base] = n + 1
            anchors.add(base if n == 0 else f"{base}-{n}")
        anchors.update(HTML_ID_RE.findall(line))
    return anchors


class Checker:
    def __init__(self, root):
        self.root = os.path.abspath(root)
        self.code = load_code(self.root)
        self.paths = tree_paths(self.root)
        self.errors = []

    def error(self, doc, text, offset, message):
        line = text.count("\n", 0, offset) + 1
        self.errors.append(f"{doc}:{line}: {message}")

    def check_doc(self, doc):
        with open(os.path.join(self.root, doc), encoding="utf-8") as fh:
            raw = fh.read()
        text = blank_foreign_columns(strip_fences(raw))
        # Code spans first, then blanked, so that `[x](y)` inside one is no link.
        blanked = list(text)
        for m in CODE_SPAN_RE.finditer(text):
            self.check_span(doc, text, m.start(2), " ".join(m.group(2).split()))
            for k in range(m.start(), m.end()):
                if blanked[k] != "\n":
                    blanked[k] = " "
        blanked = "".join(blanked)
        for m in list(LINK_RE.finditer(blanked)) + list(REF_DEF_RE.finditer(blanked)):
            self.check_link(doc, raw, blanked, m.start(1), m.group(1))

    # -- links

    def check_link(self, doc, raw, text, offset, target):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            return  # http:, https:, mailto:: outside the repository
        path, _, anchor = target.partition("#")
        doc_dir = os.path.dirname(doc)
        if path:
            rel = os.path.normpath(os.path.join(doc_dir, path))
            if rel == ".." or rel.startswith(".." + os.sep):
                # It may exist on this machine, never in a clone of the repository.
                self.error(doc, text, offset, f"link out of the repository: {target}")
                return
            if not os.path.exists(os.path.join(self.root, rel)):
                self.error(doc, text, offset, f"link to a missing file: {target}")
                return
            target_doc = rel
        else:
            target_doc = doc
        if anchor and target_doc.endswith(".md"):
            with open(os.path.join(self.root, target_doc), encoding="utf-8") as fh:
                anchors = anchors_of(fh.read()) if target_doc != doc else anchors_of(raw)
            if anchor not in anchors:
                self.error(doc, text, offset, f"link to a missing anchor: {target} (no such heading in {target_doc})")

    # -- code spans

    def check_span(self, doc, text, offset, span):
        if span.startswith("./"):
            span = span[2:]  # `./scripts/x.sh`: a path like any other
        variant = STRUCT_PATTERN_RE.match(span)
        if variant:
            self.check_struct_pattern(doc, text, offset, span, *variant.groups())
            return
        if " " in span and not re.match(r"^[\w:]+(::\{[^}]*\})?(\(.*\))?[\w.()?]*$", span):
            return  # a command line or an expression: not a name
        if self.looks_like_path(span):
            self.check_path(doc, text, offset, span)
        elif "::" in span:
            self.check_rust_path(doc, text, offset, span)
        elif re.match(r"^[a-z_][a-z0-9_]*\(.*\)$", span):
            name = span[: span.index("(")]
            if name not in self.code.fns and name not in self.code.items:
                self.error(doc, text, offset, f"`{span}`: no fn {name} in the sources")
        elif re.match(r"^[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]*$", span):
            known = span in self.code.words or span in self.code.file_names or span in EXTERNAL_WORDS
            if not known:
                self.error(doc, text, offset, f"`{span}`: named nowhere in the sources")

    def check_struct_pattern(self, doc, text, offset, span, path, fields):
        """`Woken::Io { fd, readiness }`: the variant (or struct) and its fields."""
        if "::" in path:
            self.check_rust_path(doc, text, offset, path)
        elif path not in self.code.items:
            self.error(doc, text, offset, f"`{span}`: no item {path} in the sources")
        for field in re.findall(r"[A-Za-z_]\w*", fields):
            if field not in self.code.words:
                self.error(doc, text, offset, f"`{span}`: field {field} named nowhere in the sources")

    @staticmethod
    def looks_like_path(span):
        if "://" in span or span.startswith(("/", "~", "-", ".")) or " " in span or "::" in span:
            return False
        if not re.match(r"^[A-Za-z0-9_.*/-]+$", span):
            return False
        return "/" in span or span.endswith(PATH_EXTENSIONS)

    def check_path(self, doc, text, offset, span):
        if span.startswith(GENERATED_PATHS) or span in GENERATED_FILES:
            return
        doc_dir = os.path.dirname(doc)
        want_dir = span.endswith("/")
        candidates = [span, os.path.join(doc_dir, span)]
        if not want_dir and "." not in os.path.basename(span):
            candidates.append(span + ".rs")  # `examples/http`: the example, by cargo's name
        for cand in candidates:
            pattern = cand.rstrip("/")
            full = os.path.join(self.root, pattern)
            if ("*" in pattern and any(fnmatch.fnmatch(p.rstrip("/"), pattern) for p in self.paths)) or (
                os.path.isdir(full) if want_dir else os.path.exists(full)
            ):
                return
        tail = span.rstrip("/")
        for p in self.paths:
            q = p.rstrip("/")
            if (p.endswith("/") or not want_dir) and (
                q.endswith("/" + tail) or ("*" in tail and fnmatch.fnmatch(q, "*/" + tail))
            ):
                return
        self.error(doc, text, offset, f"`{span}`: no such file or folder")

    def check_rust_path(self, doc, text, offset, span):
        # `JoinHandle<T>::abort`: the generics name no item of their own here.
        while True:
            unwrapped = re.sub(r"<[^<>]*>", "", span)
            if unwrapped == span:
                break
            span = unwrapped
        head = re.match(r"^[\w:]+(::\{[^}]*\})?", span)
        if not head:
            return
        head = head.group()
        if head.split("::")[0] in ALLOWED_PREFIXES:
            return
        if "::{" in head:
            base, names = head.split("::{")
            paths = [f"{base}::{n.strip()}" for n in names.rstrip("}").split(",") if n.strip()]
        else:
            paths = [head]
        for path in paths:
            segs = [s for s in path.split("::") if s]
            if len(segs) < 2 or not all(s.isidentifier() for s in segs):
                continue
            *_, owner, name = segs
            if owner[0].isupper() and name[0].islower():
                self.check_method(doc, text, offset, path, owner, name)
            elif name not in self.code.items and name not in self.code.fns and name not in self.code.file_names:
                self.error(doc, text, offset, f"`{path}`: no item {name} in the sources")

    def check_method(self, doc, text, offset, path, ty, name):
        verdict = self.code.has_method(ty, name)
        if verdict is None:
            if ty not in EXTERNAL_TYPES:
                self.error(doc, text, offset, f"`{path}`: no type {ty} in the sources (list it in EXTERNAL_TYPES if it is another project's)")
        elif verdict == "test-only":
            self.error(doc, text, offset, f"`{path}`: fn {name} of {ty} is compiled only in tests")
        elif verdict == "missing":
            self.error(doc, text, offset, f"`{path}`: no fn {name} in any impl of {ty}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    parser.add_argument("docs", nargs="*", help="docs relative to the root (default: the project's)")
    args = parser.parse_args(argv)
    checker = Checker(args.root)
    docs = args.docs
    if not docs:
        docs = [d for d in DEFAULT_DOCS if os.path.exists(os.path.join(checker.root, d))]
        docs_dir = os.path.join(checker.root, "docs")
        if os.path.isdir(docs_dir):
            docs += sorted("docs/" + f for f in os.listdir(docs_dir) if f.endswith(".md"))
    for doc in docs:
        checker.check_doc(doc)
    checker.errors.sort(key=lambda e: (e.split(":")[0], int(e.split(":")[1])))
    for err in checker.errors:
        print(err)
    sys.stdout.flush()
    if checker.errors:
        print(f"check_docs: {len(checker.errors)} reference(s) do not resolve", file=sys.stderr)
        return 1
    print(f"check_docs: every reference in {len(docs)} doc(s) resolves")
    return 0


if __name__ == "__main__":
    sys.exit(main())
