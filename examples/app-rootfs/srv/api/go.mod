// A hand-written go.mod using every directive form the Go Modules Reference documents.
module "example.com/app/v2"

go 1.21

toolchain go1.21.5

godebug (
	default=go1.21
	panicnil=1
)

require github.com/single/line v1.0.0

require (
	github.com/google/uuid v1.3.0
	golang.org/x/net v0.17.0 // indirect
	golang.org/x/text v0.13.0 // indirect; used by x/net
	`example.com/raw/quoted` v0.0.0-20230102030405-abcdefabcdef
	github.com/pkg/errors v0.9.1 // not indirect
	example.com/excluded v1.1.0
	example.com/forked v1.5.0
	example.com/pinned v1.2.0
	example.com/other-version v1.3.0
	example.com/local v0.1.0
)

exclude example.com/excluded v1.1.0
exclude (
	example.com/never v9.9.9
)

replace example.com/forked => github.com/someone/forked v1.5.1-fix

replace (
	example.com/pinned v1.2.0 => example.com/pinned v1.2.1
	example.com/other-version v1.0.0 => example.com/other-version v1.0.1
	example.com/local => ../local
)

retract [v2.0.0, v2.0.5] // accidentally published

retract (
	v2.1.0 // broken
)
