#!/usr/bin/env python3
"""Fails when a source file of nnc is over MAX_FILE lines or a function over MAX_FUNCTION.

Usage: check_size.py ROOT [--max-file N] [--max-function N] [--report]

Scans the C++ sources (.h, .cpp) under compiler/, runtime/, dialects/ and tools/ of ROOT (ODS
.td files are not sources). A function is a brace block at namespace or class scope whose
head (the text since the previous ';', '{' or '}') has a parameter list and is not a
namespace, class, struct, union or enum: its length counts every line from the head's first
line to the closing brace, lambdas and nested classes inside it included. Strings,
characters and comments are skipped, so braces inside them do not count.
"""
import argparse
import os
import re
import sys

DIRS = ["compiler", "runtime", "dialects", "tools"]
SCOPE = re.compile(r"\b(namespace|class|struct|union|enum)\b")


def strip(text):
    """The text with comments, strings and characters blanked (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + " " * (j - i - 2) + c if j - i >= 2 else c)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(text):
    """(name, first line, last line) of each outermost function body."""
    code = strip(text)
    stack = []  # per open brace: 'scope' (transparent), 'func', or 'block'
    head_start = 0
    found = []
    line_of = lambda pos: code.count("\n", 0, pos) + 1
    for pos, c in enumerate(code):
        if c == "{":
            head = code[head_start:pos]
            inside_func = any(k[0] == "func" for k in stack)
            if inside_func:
                stack.append(("block", 0))
            elif SCOPE.search(head) and "(" not in head.split("=")[0].rsplit(")", 1)[-1] \
                    and not re.search(r"\)\s*(const|noexcept|override|final|->[^{]*)?\s*(:[^{]*)?$", head.strip()):
                stack.append(("scope", 0))
            elif ")" in head or re.search(r"\bextern\s+\"", text[head_start:pos]):
                if re.search(r"\bextern\s*\"C\+*\"\s*$", text[head_start:pos].strip()):
                    stack.append(("scope", 0))
                else:
                    first = head_start + len(head) - len(head.lstrip())
                    name = re.findall(r"([~\w:]+)\s*\(", head)
                    stack.append(("func", (name[0] if name else "?", line_of(first))))
            else:
                stack.append(("block", 0))
            head_start = pos + 1
        elif c == "}":
            if stack:
                kind, info = stack.pop()
                if kind == "func":
                    found.append((info[0], info[1], line_of(pos)))
            head_start = pos + 1
        elif c == ";":
            head_start = pos + 1
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--max-file", type=int, default=700)
    ap.add_argument("--max-function", type=int, default=150)
    ap.add_argument("--report", action="store_true", help="list the longest files and functions")
    args = ap.parse_args()
    bad, files, funcs = [], [], []
    for d in DIRS:
        for dirpath, _, names in os.walk(os.path.join(args.root, d)):
            for name in sorted(names):
                if not name.endswith((".cpp", ".h")):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, args.root)
                text = open(path, encoding="utf-8").read()
                lines = text.count("\n")
                files.append((lines, rel))
                if lines > args.max_file:
                    bad.append(f"{rel}: {lines} lines (at most {args.max_file})")
                for fname, first, last in functions(text):
                    length = last - first + 1
                    funcs.append((length, f"{rel}:{first}: {fname}"))
                    if length > args.max_function:
                        bad.append(f"{rel}:{first}: function '{fname}' has {length} lines "
                                   f"(at most {args.max_function})")
    if args.report:
        for n, f in sorted(files, reverse=True)[:15]:
            print(f"{n:6d}  {f}")
        print()
        for n, f in sorted(funcs, reverse=True)[:30]:
            print(f"{n:6d}  {f}")
    for b in bad:
        print(b)
    print(f"{len(files)} files, {len(funcs)} functions, {len(bad)} over the limits")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
