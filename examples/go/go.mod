module hearth/examples/go

go 1.19
