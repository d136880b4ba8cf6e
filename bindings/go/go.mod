module github.com/kavach/kavach/bindings/go

go 1.21
