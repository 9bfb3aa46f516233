module cwbaseline

go 1.19
