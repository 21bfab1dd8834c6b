module github.com/breakwater-dev/breakwater

go 1.26
