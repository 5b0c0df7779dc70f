package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/collectagent/collectagent/audit"
	"github.com/collectagent/collectagent/store"
	"github.com/collectagent/collectagent/web"
)

// errBadCSV marks a CSV that cannot be imported; the message names the row
// and field.
var errBadCSV = errors.New("bad CSV")

// runImport is `collectagent import accounts.csv`: the same all-or-nothing
// upsert as POST /v1/accounts, from a CSV file with one row per debt (the
// account's columns repeated on each of its debts' rows).
func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "YAML configuration file")
	fs.String("data", "", "data directory of the SQLite file (default ./data; COLLECT_DATA)")
	fs.String("database-url", "", "PostgreSQL URL (COLLECT_DATABASE_URL)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: collectagent import [--data DIR | --database-url URL] accounts.csv\n\nColumns (header row required, any order): %s\nRequired: %s\n\nFlags:\n",
			strings.Join(csvColumns, ", "), strings.Join(csvRequired, ", "))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	cfg, err := loadConfig(*cfgPath, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "import: %v\n", err)
		return 2
	}
	setFlags(fs, map[string]func(string){
		"data":         func(v string) { cfg.Data = v },
		"database-url": func(v string) { cfg.DatabaseURL = v },
	})
	if err := cfg.validateStore(); err != nil {
		fmt.Fprintf(stderr, "import: %v\n", err)
		return 2
	}
	name := fs.Arg(0)
	f, err := os.Open(name)
	if err != nil {
		fmt.Fprintf(stderr, "import: %v\n", err)
		return 1
	}
	defer f.Close()
	accts, err := parseAccountsCSV(f)
	if err != nil {
		fmt.Fprintf(stderr, "import: %s: %v\nnothing imported\n", name, err)
		return 1
	}
	log := cfg.newLogger(stderr)
	st, _, err := openStore(ctx, &cfg, log)
	if err != nil {
		fmt.Fprintf(stderr, "import: %v\n", err)
		return 1
	}
	defer st.Close()
	// The import's seal is checkpointed in a file of its own.
	cp, err := openCheckpointsAt(&cfg, cfg.importCheckpointPath(), log)
	if err != nil {
		fmt.Fprintf(stderr, "import: %v\nnothing imported\n", err)
		return 1
	}
	if cp != nil {
		defer func() {
			if err := cp.Close(); err != nil {
				fmt.Fprintf(stderr, "import: audit checkpoint: %v\n", err)
			}
		}()
		st = audit.WrapStore(st, cp)
	}
	if err := st.UpsertAccounts(ctx, accts); err != nil {
		fmt.Fprintf(stderr, "import: %v\nnothing imported\n", err)
		return 1
	}
	if err := audit.SealImport(ctx, st, accts, "csv", filepath.Base(name), time.Now()); err != nil {
		fmt.Fprintf(stderr, "import: accounts stored but not sealed in the audit trail (import again to seal them): %v\n", err)
		return 1
	}
	debts := 0
	for _, a := range accts {
		debts += len(a.Debts)
	}
	fmt.Fprintf(stdout, "imported %d accounts (%d debts) from %s\n", len(accts), debts, name)
	return 0
}

// CSV columns: the account's, then the debt's. Booleans are true/false,
// yes/no, 1/0 or empty (false).
var (
	csvColumns = []string{
		"account_id", "name", "date_of_birth", "id_last4", "locale", "timezone", "phone", "email", "portfolio",
		"consent_chat", "consent_voice", "consent_sms", "consent_recording",
		"dnc_chat", "dnc_voice", "dnc_sms", "dnc_email",
		"flag_attorney", "flag_dispute", "flag_bankruptcy", "flag_deceased",
		"debt_id", "creditor", "amount_due", "currency", "due_date", "days_past_due", "min_payment",
	}
	csvRequired = []string{"account_id", "name", "locale", "timezone", "debt_id", "creditor", "amount_due", "currency", "due_date"}
	// Account columns must agree on every row of the same account.
	csvAccountColumns = csvColumns[:21]
)

// maxCSVRows bounds one import, as web.MaxAccountsPerRequest bounds a
// request.
const maxCSVRows = 100000

// parseAccountsCSV reads accounts from CSV and validates them with the
// API's rules. Errors read "row N: field X: reason", N counting the header
// as row 1 (as a spreadsheet does).
func parseAccountsCSV(r io.Reader) ([]store.Account, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: empty file: want a header row", errBadCSV)
		}
		return nil, fmt.Errorf("%w: row 1: %v", errBadCSV, csvErr(err))
	}
	col := make(map[string]int, len(header))
	known := make(map[string]bool, len(csvColumns))
	for _, c := range csvColumns {
		known[c] = true
	}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !known[h] {
			return nil, fmt.Errorf("%w: row 1: unknown column %q", errBadCSV, h)
		}
		if _, dup := col[h]; dup {
			return nil, fmt.Errorf("%w: row 1: column %q repeated", errBadCSV, h)
		}
		col[h] = i
	}
	for _, c := range csvRequired {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("%w: row 1: missing column %q", errBadCSV, c)
		}
	}

	var req web.AccountsRequest
	type origin struct {
		row    int
		values []string
	}
	acctRow := map[string]int{} // account id -> index in req.Accounts
	firstRow := []origin{}      // per account: first row and its account values
	debtRows := [][]int{}       // per account, per debt: row number
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return nil, fmt.Errorf("%w: row %d: %v", errBadCSV, line, csvErr(err))
		}
		line, _ := cr.FieldPos(0)
		if line > maxCSVRows {
			return nil, fmt.Errorf("%w: more than %d rows", errBadCSV, maxCSVRows)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if len(rec) != len(header) {
			return nil, fmt.Errorf("%w: row %d: has %d fields, header has %d", errBadCSV, line, len(rec), len(header))
		}
		for i, v := range rec {
			if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
				return nil, fmt.Errorf("%w: row %d: field %s: not UTF-8 or has a NUL character", errBadCSV, line, strings.ToLower(strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))))
			}
		}
		var perr error
		boolean := func(name string) bool {
			v, err := parseBool(get(name))
			if err != nil && perr == nil {
				perr = fmt.Errorf("%w: row %d: field %s: %v", errBadCSV, line, name, err)
			}
			return v
		}
		number := func(name string) float64 {
			s := get(name)
			if s == "" {
				return 0
			}
			v, err := parseMajor(s)
			if err != nil && perr == nil {
				perr = fmt.Errorf("%w: row %d: field %s: %v", errBadCSV, line, name, err)
			}
			return v
		}
		integer := func(name string) int {
			s := get(name)
			if s == "" {
				return 0
			}
			v, err := strconv.Atoi(s)
			if err != nil && perr == nil {
				perr = fmt.Errorf("%w: row %d: field %s: not a whole number", errBadCSV, line, name)
			}
			return v
		}
		debt := web.DebtIn{
			ID: get("debt_id"), Creditor: get("creditor"), AmountDue: number("amount_due"),
			Currency: strings.ToUpper(get("currency")), DueDate: get("due_date"),
			DaysPastDue: integer("days_past_due"), MinPayment: number("min_payment"),
		}
		id := get("account_id")
		values := make([]string, len(csvAccountColumns))
		for i, c := range csvAccountColumns {
			values[i] = get(c)
		}
		idx, seen := acctRow[id]
		if !seen {
			a := web.AccountIn{
				ID: id, Name: get("name"), DateOfBirth: get("date_of_birth"), IDLast4: get("id_last4"),
				Locale: get("locale"), Timezone: get("timezone"), Phone: get("phone"), Email: get("email"),
				Portfolio: get("portfolio"),
				Consent: store.Consent{Chat: boolean("consent_chat"), Voice: boolean("consent_voice"),
					SMS: boolean("consent_sms"), Recording: boolean("consent_recording")},
				DoNotContact: store.DoNotContact{Chat: boolean("dnc_chat"), Voice: boolean("dnc_voice"),
					SMS: boolean("dnc_sms"), Email: boolean("dnc_email")},
				Flags: store.Flags{Attorney: boolean("flag_attorney"), Dispute: boolean("flag_dispute"),
					Bankruptcy: boolean("flag_bankruptcy"), Deceased: boolean("flag_deceased")},
			}
			if perr != nil {
				return nil, perr
			}
			idx = len(req.Accounts)
			acctRow[id] = idx
			req.Accounts = append(req.Accounts, a)
			firstRow = append(firstRow, origin{row: line, values: values})
			debtRows = append(debtRows, nil)
		} else {
			if perr != nil {
				return nil, perr
			}
			for i, c := range csvAccountColumns {
				if values[i] != firstRow[idx].values[i] {
					return nil, fmt.Errorf("%w: row %d: field %s: differs from row %d of the same account", errBadCSV, line, c, firstRow[idx].row)
				}
			}
		}
		req.Accounts[idx].Debts = append(req.Accounts[idx].Debts, debt)
		debtRows[idx] = append(debtRows[idx], line)
	}
	if len(req.Accounts) == 0 {
		return nil, fmt.Errorf("%w: no rows after the header", errBadCSV)
	}
	if err := web.ValidateAccounts(req); err != nil {
		var ve *web.ValidationError
		if errors.As(err, &ve) && len(ve.Fields) > 0 {
			fe := ve.Fields[0]
			row, field := csvLocate(fe.Field, func(a int) int { return firstRow[a].row }, func(a, d int) int { return debtRows[a][d] })
			return nil, fmt.Errorf("%w: row %d: field %s: %s", errBadCSV, row, field, fe.Message)
		}
		return nil, fmt.Errorf("%w: %v", errBadCSV, err)
	}
	return req.ToStore(), nil
}

var fieldPath = regexp.MustCompile(`^accounts\[(\d+)\](?:\.debts\[(\d+)\])?\.?(.*)$`)

// csvLocate turns an API field path ("accounts[2].debts[1].due_date") into
// the CSV row and column it came from.
func csvLocate(path string, acctRow func(int) int, debtRow func(int, int) int) (int, string) {
	m := fieldPath.FindStringSubmatch(path)
	if m == nil {
		return 1, path
	}
	a, _ := strconv.Atoi(m[1])
	field := m[3]
	if m[2] != "" {
		d, _ := strconv.Atoi(m[2])
		if field == "id" {
			field = "debt_id"
		}
		return debtRow(a, d), field
	}
	switch {
	case field == "id":
		field = "account_id"
	case field == "debts":
		field = "debt_id"
	case strings.HasPrefix(field, "consent."):
		field = "consent_" + strings.TrimPrefix(field, "consent.")
	case strings.HasPrefix(field, "do_not_contact."):
		field = "dnc_" + strings.TrimPrefix(field, "do_not_contact.")
	case strings.HasPrefix(field, "flags."):
		field = "flag_" + strings.TrimPrefix(field, "flags.")
	}
	return acctRow(a), field
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "", "false", "no", "n", "0", "f":
		return false, nil
	case "true", "yes", "y", "1", "t":
		return true, nil
	}
	return false, errors.New("want true or false")
}

// majorAmount is a plain decimal amount: digits, optionally grouped by
// thousands with commas, and at most two decimals. No sign, exponent,
// hexadecimal, "Inf" or "NaN", which strconv.ParseFloat would take.
var majorAmount = regexp.MustCompile(`^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?$`)

// parseMajor parses a major-unit amount ("240", "240.50", "1,240.00").
func parseMajor(s string) (float64, error) {
	if !majorAmount.MatchString(s) {
		return 0, errors.New("not a decimal amount (like 240, 240.50 or 1,240.00)")
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", ""), 64)
	if err != nil {
		return 0, errors.New("not a decimal amount (like 240, 240.50 or 1,240.00)")
	}
	return v, nil
}

// csvErr drops encoding/csv's own position prefix: the caller names the row.
func csvErr(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
