package accounts

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/collectagent/collectagent/store"
)

// CSV columns: the account's, then the debt's. Booleans are true/false,
// yes/no, 1/0 or empty (false).
var (
	// CSVColumns are the columns a CSV import knows, in any order.
	CSVColumns = []string{
		"account_id", "name", "date_of_birth", "id_last4", "locale", "timezone", "phone", "email", "portfolio",
		"consent_chat", "consent_voice", "consent_sms", "consent_recording",
		"dnc_chat", "dnc_voice", "dnc_sms", "dnc_email",
		"flag_attorney", "flag_dispute", "flag_bankruptcy", "flag_deceased",
		"debt_id", "creditor", "amount_due", "currency", "due_date", "days_past_due", "min_payment",
	}
	// CSVRequired are the columns a CSV import must have.
	CSVRequired = []string{"account_id", "name", "locale", "timezone", "debt_id", "creditor", "amount_due", "currency", "due_date"}
	// Account columns must agree on every row of the same account.
	csvAccountColumns = CSVColumns[:21]
)

// MaxCSVRows bounds one import, as MaxPerRequest bounds a request.
const MaxCSVRows = 100000

// ParseCSV reads accounts from CSV, one row per debt (the account's columns
// repeated on each of its debts' rows), and validates them with Validate.
// It returns every account or none: an error is a *RowError naming the
// first bad row and column, the header counting as row 1 (as a
// spreadsheet does).
func ParseCSV(r io.Reader) ([]store.Account, error) {
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = false
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &RowError{Reason: "empty file: want a header row"}
		}
		return nil, &RowError{Row: 1, Reason: csvErr(err)}
	}
	col := make(map[string]int, len(header))
	known := make(map[string]bool, len(CSVColumns))
	for _, c := range CSVColumns {
		known[c] = true
	}
	for i, h := range header {
		h = columnName(h)
		if !known[h] {
			return nil, &RowError{Row: 1, Reason: fmt.Sprintf("unknown column %q", h)}
		}
		if _, dup := col[h]; dup {
			return nil, &RowError{Row: 1, Reason: fmt.Sprintf("column %q repeated", h)}
		}
		col[h] = i
	}
	for _, c := range CSVRequired {
		if _, ok := col[c]; !ok {
			return nil, &RowError{Row: 1, Reason: fmt.Sprintf("missing column %q", c)}
		}
	}

	var req Request
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
			return nil, &RowError{Row: line, Reason: csvErr(err)}
		}
		line, _ := cr.FieldPos(0)
		if line > MaxCSVRows {
			return nil, &RowError{Reason: fmt.Sprintf("more than %d rows", MaxCSVRows)}
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if len(rec) != len(header) {
			return nil, &RowError{Row: line, Reason: fmt.Sprintf("has %d fields, header has %d", len(rec), len(header))}
		}
		for i, v := range rec {
			if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
				return nil, &RowError{Row: line, Field: columnName(header[i]), Reason: "not UTF-8 or has a NUL character"}
			}
		}
		var perr error
		fail := func(name, reason string) {
			if perr == nil {
				perr = &RowError{Row: line, Field: name, Reason: reason}
			}
		}
		boolean := func(name string) bool {
			v, err := parseBool(get(name))
			if err != nil {
				fail(name, err.Error())
			}
			return v
		}
		number := func(name string) float64 {
			s := get(name)
			if s == "" {
				return 0
			}
			v, err := parseMajor(s)
			if err != nil {
				fail(name, err.Error())
			}
			return v
		}
		integer := func(name string) int {
			s := get(name)
			if s == "" {
				return 0
			}
			v, err := strconv.Atoi(s)
			if err != nil {
				fail(name, "not a whole number")
			}
			return v
		}
		debt := Debt{
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
			a := Account{
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
					return nil, &RowError{Row: line, Field: c, Reason: fmt.Sprintf("differs from row %d of the same account", firstRow[idx].row)}
				}
			}
		}
		req.Accounts[idx].Debts = append(req.Accounts[idx].Debts, debt)
		debtRows[idx] = append(debtRows[idx], line)
	}
	if len(req.Accounts) == 0 {
		return nil, &RowError{Reason: "no rows after the header"}
	}
	if err := Validate(req); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) && len(ve.Fields) > 0 {
			fe := ve.Fields[0]
			row, field := csvLocate(fe.Field, func(a int) int { return firstRow[a].row }, func(a, d int) int { return debtRows[a][d] })
			return nil, &RowError{Row: row, Field: field, Reason: fe.Message}
		}
		return nil, &RowError{Reason: err.Error()}
	}
	return req.ToStore(), nil
}

// columnName is a header cell as a column name: no byte-order mark, no
// surrounding space, lower case.
func columnName(h string) string {
	return strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
}

var fieldPath = regexp.MustCompile(`^accounts\[(\d+)\](?:\.debts\[(\d+)\])?\.?(.*)$`)

// csvLocate turns a field path ("accounts[2].debts[1].due_date") into the
// CSV row and column it came from.
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
