#!/bin/sh
# Regenerates the Ruby fixtures with the real tools (Debian bookworm: ruby 3.1, bundler 2.3.15,
# RubyGems 3.3.15), offline: rubygems.org is not reachable, so `bundle install --local` resolves against
# gems installed on this machine (rake, rexml, minitest from Debian's ruby), a locally built platform gem,
# a path gem and a git gem.  Gem specifications are copied from Debian's packages.
set -eu
out=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
mkdir -p gemhome native pathgem gitgem app home
cat > native/native.gemspec <<'G'
Gem::Specification.new do |s|
  s.name = "stockade-native"
  s.version = "0.4.2"
  s.platform = "x86_64-linux"
  s.summary = "platform gem for a fixture"
  s.authors = ["stockade"]
  s.files = []
  s.license = "MIT"
end
G
cat > pathgem/pathgem.gemspec <<'G'
Gem::Specification.new do |s|
  s.name = "stockade-local"
  s.version = "1.0.0"
  s.summary = "path gem for a fixture"
  s.authors = ["stockade"]
  s.files = []
  s.add_dependency "rexml", ">= 3.2"
end
G
cat > gitgem/gitgem.gemspec <<'G'
Gem::Specification.new do |s|
  s.name = "stockade-git"
  s.version = "2.1.0"
  s.summary = "git gem for a fixture"
  s.authors = ["stockade"]
  s.files = []
end
G
(cd gitgem && git init -q && git add . && git -c user.email=fixture@example.invalid -c user.name=fixture commit -qm init)
export HOME="$work/home" GEM_HOME="$work/gemhome"
export GEM_PATH="$work/gemhome:/usr/lib/ruby/gems/3.1.0:/usr/share/rubygems-integration/all"
(cd native && gem build -q native.gemspec && gem install --local --no-document -q ./stockade-native-0.4.2-x86_64-linux.gem)
cat > app/Gemfile <<G
source "https://rubygems.org"

gem "rake", "~> 13.0"
gem "rexml"
gem "minitest", group: :test
gem "stockade-native"
gem "stockade-local", path: "../pathgem"
gem "stockade-git", git: "$work/gitgem"
G
(cd app && bundle install --local --quiet)
sed "s|$work/gitgem|/srv/gems/stockade-git|" app/Gemfile.lock > "$out/Gemfile.lock"
mkdir -p "$out/specifications/default"
cp gemhome/specifications/stockade-native-0.4.2-x86_64-linux.gemspec "$out/specifications/"
cp /usr/share/rubygems-integration/all/specifications/rake-13.0.6.gemspec "$out/specifications/"
cp /usr/share/rubygems-integration/all/specifications/webrick-1.8.1.gemspec "$out/specifications/"
cp /usr/lib/ruby/gems/3.1.0/specifications/rexml-3.2.5.gemspec "$out/specifications/"
cp /usr/lib/ruby/gems/3.1.0/specifications/default/openssl-3.0.1.gemspec "$out/specifications/default/"
# its second "# stub:" line lists the extensions separated by NUL bytes
cp /usr/lib/ruby/gems/3.1.0/specifications/default/digest-3.1.0.gemspec "$out/specifications/default/"
