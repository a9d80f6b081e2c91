#!/bin/sh
# Regenerates the Composer fixtures with the real tool (Debian bookworm: composer 2.5.5, php 8.2),
# offline: packagist.org is not reachable, so the packages come from a path repository.  They are
# stand-ins (a composer.json each) carrying the names and versions of real Packagist packages, so that
# advisory tests can match them; the lock and installed.json around them are Composer's own output.
# installed-composer1.json: Composer 1 is not packaged; its installed.json was the bare list of package
# objects, so it is derived from Composer 2's by taking the "packages" list without "install-path".
set -eu
out=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir -p pkgs/monolog pkgs/psrlog pkgs/guzzle pkgs/phpunit app home
echo '{"name": "monolog/monolog", "version": "2.9.1", "type": "library", "license": "MIT", "description": "fixture stand-in", "require": {"psr/log": "^1.0"}}' > pkgs/monolog/composer.json
echo '{"name": "psr/log", "version": "1.1.4", "license": "MIT", "description": "fixture stand-in"}' > pkgs/psrlog/composer.json
echo '{"name": "guzzlehttp/guzzle", "version": "v7.4.4", "license": "MIT", "description": "fixture stand-in"}' > pkgs/guzzle/composer.json
echo '{"name": "phpunit/phpunit", "version": "9.5.20", "license": "BSD-3-Clause", "description": "fixture stand-in"}' > pkgs/phpunit/composer.json
cat > app/composer.json <<'J'
{
  "name": "stockade/fixture-app",
  "repositories": [{"type": "path", "url": "../pkgs/*", "options": {"symlink": false}}, {"packagist.org": false}],
  "require": {"monolog/monolog": "^2.9", "guzzlehttp/guzzle": "^7.4"},
  "require-dev": {"phpunit/phpunit": "^9.5"}
}
J
export HOME="$work/home" COMPOSER_HOME="$work/home"
(cd app && composer install --no-interaction --quiet)
cp app/composer.lock "$out/composer.lock"
cp app/vendor/composer/installed.json "$out/installed.json"
php -r '$d = json_decode(file_get_contents($argv[1]), true); $l = array_map(function ($p) { unset($p["install-path"]); return $p; }, $d["packages"]); echo json_encode($l, JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES), "\n";' app/vendor/composer/installed.json > "$out/installed-composer1.json"
