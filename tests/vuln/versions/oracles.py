"""The real tools, as oracles: each function compares many version pairs in one subprocess.

Every oracle returns a list of -1/0/1 (one per pair) and skips the calling test, with the reason, when
its tool is not installed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

Pairs = Sequence[tuple[str, str]]
SYSTEM_PYTHON = "/usr/bin/python3"
MAVEN_JAR = Path("/usr/share/maven/lib/maven-artifact-3.x.jar")
NODE_SEMVER = Path("/usr/lib/node_modules/npm/node_modules/semver")
COMPOSER_SEMVER = Path("/usr/share/php/Composer/Semver/autoload.php")
GO_SEMVER_CANDIDATES = sorted(
    Path("/usr/share").glob("go-*/src/cmd/vendor/golang.org/x/mod/semver/semver.go")
)


def _run(args: list[str], stdin: str, what: str, timeout: float = 120) -> str:
    proc = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"{what} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc.stdout


def _need(path: str | Path | None, why: str) -> None:
    if path is None or not Path(path).exists():
        pytest.skip(why)


def dpkg(pairs: Pairs) -> list[int]:
    """``dpkg --compare-versions`` (one dpkg run per operator, all in one shell)."""
    _need(shutil.which("dpkg"), "dpkg not installed: cannot compare against dpkg --compare-versions")
    lines = []
    for a, b in pairs:
        qa, qb = shlex.quote(a), shlex.quote(b)
        lines.append(
            f"if dpkg --compare-versions -- {qa} lt {qb} 2>/dev/null; then echo -1; "
            f"elif dpkg --compare-versions -- {qa} eq {qb} 2>/dev/null; then echo 0; else echo 1; fi"
        )
    out = _run(["sh", "-s"], "\n".join(lines) + "\n", "dpkg --compare-versions")
    return [int(x) for x in out.split()]


def apt_pkg(pairs: Pairs) -> list[int]:
    """``apt_pkg.version_compare`` (libapt's copy of dpkg's algorithm) from the system python."""
    _need(SYSTEM_PYTHON, "no system python3 with python3-apt")
    code = (
        "import json,sys\n"
        "try:\n import apt_pkg\nexcept ImportError:\n print('NOAPT'); sys.exit(0)\n"
        "apt_pkg.init_system()\n"
        "r=[apt_pkg.version_compare(a,b) for a,b in json.load(sys.stdin)]\n"
        "print(json.dumps([(x>0)-(x<0) for x in r]))\n"
    )
    out = _run([SYSTEM_PYTHON, "-c", code], json.dumps(list(pairs)), "apt_pkg")
    if out.startswith("NOAPT"):
        pytest.skip("python3-apt not installed for /usr/bin/python3")
    return list(json.loads(out))


def rpm(pairs: Pairs) -> tuple[list[int], list[tuple[str | None, str, str | None]]]:
    """``rpm.labelCompare`` on rpm's own EVR split (``rpm.ver``), plus that split for each left side."""
    _need(SYSTEM_PYTHON, "no system python3 with python3-rpm")
    code = (
        "import json,sys\n"
        "try:\n import rpm\nexcept ImportError:\n print('NORPM'); sys.exit(0)\n"
        "def evr(s):\n v=rpm.ver(s)\n return (v.e, v.v, v.r if v.r is not None else '')\n"
        "pairs=json.load(sys.stdin)\n"
        "cmp=[rpm.labelCompare(evr(a),evr(b)) for a,b in pairs]\n"
        "split=[[rpm.ver(a).e, rpm.ver(a).v, rpm.ver(a).r] for a,_ in pairs]\n"
        "print(json.dumps([cmp, split]))\n"
    )
    out = _run([SYSTEM_PYTHON, "-c", code], json.dumps(list(pairs)), "rpm.labelCompare")
    if out.startswith("NORPM"):
        pytest.skip("python3-rpm not installed for /usr/bin/python3 (apt-get install python3-rpm)")
    cmp, split = json.loads(out)
    return list(cmp), [tuple(s) for s in split]


def rpmvercmp(pairs: Pairs) -> list[int]:
    """``rpm.labelCompare`` with epoch and release fixed: bare ``rpmvercmp`` of the two strings."""
    _need(SYSTEM_PYTHON, "no system python3 with python3-rpm")
    code = (
        "import json,sys\n"
        "try:\n import rpm\nexcept ImportError:\n print('NORPM'); sys.exit(0)\n"
        "print(json.dumps([rpm.labelCompare(('0',a,''),('0',b,'')) for a,b in json.load(sys.stdin)]))\n"
    )
    out = _run([SYSTEM_PYTHON, "-c", code], json.dumps(list(pairs)), "rpmvercmp")
    if out.startswith("NORPM"):
        pytest.skip("python3-rpm not installed for /usr/bin/python3 (apt-get install python3-rpm)")
    return list(json.loads(out))


def maven(pairs: Pairs) -> list[int]:
    """maven-artifact's ``ComparableVersion`` main(), which compares each argument with the next."""
    _need(shutil.which("java"), "java not installed: cannot run maven-artifact ComparableVersion")
    _need(MAVEN_JAR, f"{MAVEN_JAR} missing (Debian package libmaven3-core-java / maven)")
    args = [v for pair in pairs for v in pair]
    out = _run(
        ["java", "-cp", str(MAVEN_JAR), "org.apache.maven.artifact.versioning.ComparableVersion", *args],
        "",
        "ComparableVersion",
    )
    results = []
    for line in out.splitlines():
        m = re.fullmatch(r"   (\S+) (<|==|>) (\S+)", line)
        if m:
            results.append({"<": -1, "==": 0, ">": 1}[m.group(2)])
    assert len(results) == len(args) - 1, out[-2000:]
    return results[::2]  # argument 2k vs 2k+1


def ruby(pairs: Pairs) -> list[int]:
    """``Gem::Version.new(a) <=> Gem::Version.new(b)``."""
    _need(shutil.which("ruby"), "ruby not installed: cannot compare against Gem::Version")
    code = (
        "require 'json'; require 'rubygems'\n"
        "pairs = JSON.parse(STDIN.read)\n"
        "puts JSON.generate(pairs.map { |a, b| Gem::Version.new(a) <=> Gem::Version.new(b) })\n"
    )
    return list(json.loads(_run(["ruby", "-e", code], json.dumps(list(pairs)), "Gem::Version")))


def ruby_valid(versions: Sequence[str]) -> list[bool]:
    _need(shutil.which("ruby"), "ruby not installed: cannot ask Gem::Version.correct?")
    code = (
        "require 'json'; require 'rubygems'\n"
        "puts JSON.generate(JSON.parse(STDIN.read).map { |v| Gem::Version.correct?(v) ? true : false })\n"
    )
    return list(json.loads(_run(["ruby", "-e", code], json.dumps(list(versions)), "Gem::Version.correct?")))


def php_version_compare(pairs: Pairs) -> list[int]:
    """PHP's own ``version_compare`` on the strings as given."""
    _need(shutil.which("php"), "php-cli not installed: cannot run version_compare")
    code = (
        "echo json_encode(array_map(fn($p) => version_compare($p[0], $p[1]),"
        " json_decode(stream_get_contents(STDIN))));"
    )
    return list(json.loads(_run(["php", "-r", code], json.dumps(list(pairs)), "version_compare")))


def composer(pairs: Pairs) -> tuple[list[int | None], dict[str, str | None]]:
    """Composer's order: ``VersionParser::normalize`` then ``Comparator`` (None: not comparable), plus
    every string's normal form (None: normalize threw)."""
    _need(shutil.which("php"), "php-cli not installed: cannot run composer/semver")
    _need(COMPOSER_SEMVER, f"{COMPOSER_SEMVER} missing (Debian package php-composer-semver)")
    code = (
        f"require '{COMPOSER_SEMVER}';"
        "use Composer\\Semver\\VersionParser; use Composer\\Semver\\Comparator;"
        "$p = new VersionParser; $n = [];"
        "$norm = function($v) use ($p, &$n) { if (!array_key_exists($v, $n)) {"
        " try { $n[$v] = $p->normalize($v); } catch (\\Exception $e) { $n[$v] = null; } } return $n[$v]; };"
        "$out = [];"
        "foreach (json_decode(stream_get_contents(STDIN)) as [$a, $b]) {"
        " $x = $norm($a); $y = $norm($b);"
        " if ($x === null || $y === null) { $out[] = null; continue; }"
        " $out[] = Comparator::lessThan($x, $y) ? -1 : (Comparator::equalTo($x, $y) ? 0"
        " : (Comparator::greaterThan($x, $y) ? 1 : null)); }"
        "echo json_encode([$out, (object) $n]);"
    )
    out, norms = json.loads(_run(["php", "-r", code], json.dumps(list(pairs)), "composer/semver"))
    return list(out), dict(norms)


def node_semver(pairs: Pairs) -> list[int | None]:
    """node-semver (npm's own copy) ``compare`` in strict mode; None when it rejects a version."""
    _need(shutil.which("node"), "node not installed: cannot run node-semver")
    _need(NODE_SEMVER, f"{NODE_SEMVER} missing (npm's bundled semver)")
    code = (
        f"const semver = require({json.dumps(str(NODE_SEMVER))});"
        "const pairs = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(pairs.map(([a, b]) =>"
        " (semver.valid(a) === null || semver.valid(b) === null) ? null : semver.compare(a, b))));"
    )
    return list(json.loads(_run(["node", "-e", code], json.dumps(list(pairs)), "node-semver")))


_GO_MAIN = """package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"oracle/semver"
)

func main() {
	var pairs [][2]string
	if err := json.NewDecoder(bufio.NewReader(os.Stdin)).Decode(&pairs); err != nil {
		panic(err)
	}
	out := make([][2]int, len(pairs))
	for i, p := range pairs {
		valid := 0
		if semver.IsValid(p[0]) && semver.IsValid(p[1]) {
			valid = 1
		}
		out[i] = [2]int{semver.Compare(p[0], p[1]), valid}
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}
"""


def go_semver(pairs: Pairs, workdir: Path) -> list[int | None]:
    """golang.org/x/mod/semver (the copy vendored in the Go toolchain's source tree) ``Compare``;
    None when either side is not ``IsValid``."""
    go = shutil.which("go")
    _need(go, "go not installed: cannot build golang.org/x/mod/semver")
    if not GO_SEMVER_CANDIDATES:
        pytest.skip("golang.org/x/mod/semver source not found under /usr/share/go-*/src/cmd/vendor")
    (workdir / "semver").mkdir(parents=True, exist_ok=True)
    (workdir / "semver" / "semver.go").write_text(GO_SEMVER_CANDIDATES[-1].read_text())
    (workdir / "go.mod").write_text("module oracle\n\ngo 1.18\n")
    (workdir / "main.go").write_text(_GO_MAIN)
    env = dict(os.environ, GOFLAGS="-mod=mod", GOPROXY="off", GOTOOLCHAIN="local")
    build = subprocess.run(
        [go, "build", "-o", "oracle", "."], cwd=workdir, capture_output=True, text=True, env=env, check=False
    )
    if build.returncode != 0:
        raise AssertionError(f"go build failed: {build.stderr}")
    rows = json.loads(_run([str(workdir / "oracle")], json.dumps(list(pairs)), "x/mod/semver"))
    return [c if valid else None for c, valid in rows]
