# -*- encoding: utf-8 -*-
# stub: stockade-native 0.4.2 x86_64-linux lib

Gem::Specification.new do |s|
  s.name = "stockade-native".freeze
  s.version = "0.4.2"
  s.platform = "x86_64-linux".freeze

  s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
  s.require_paths = ["lib".freeze]
  s.authors = ["stockade".freeze]
  s.date = "2026-11-26"
  s.licenses = ["MIT".freeze]
  s.rubygems_version = "3.3.15".freeze
  s.summary = "platform gem for a fixture".freeze

  s.installed_by_version = "3.3.15" if s.respond_to? :installed_by_version
end
