// Package accounts provides the borrower accounts a lender loads: their
// input form (as the HTTP API and a CSV import take it), the rules that
// validate them, and the conversion to store records.
//
// It is the one owner of those rules, so POST /v1/accounts, `collectagent
// import` and an eval suite refuse the same rows with the same words. It
// must not know HTTP, the command line or how records are stored.
package accounts
