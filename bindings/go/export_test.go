package kavach

// ResultName exposes kavach_result_name to the tests (cgo is not allowed in _test.go files).
var ResultName = resultName

// ResultStatus exposes kavach_result_status to the tests.
var ResultStatus = resultStatus
