package dialog

import (
	"fmt"
	"strings"
)

// ValidatePolicy checks a policy's internal consistency; the error names the
// field. It complements the struct tags checked by validator/v10 at the
// edge, and stands alone for callers that do not use it.
func ValidatePolicy(p Policy) error {
	bad := func(field, msg string) error {
		return fmt.Errorf("%w: %s %s", ErrInvalidPolicy, field, msg)
	}
	switch {
	case p.MaxDaysToPromise < 0 || p.MaxDaysToPromise > 90:
		return bad("max_days_to_promise", "must be 0..90")
	case p.MinPromisePercent < 0 || p.MinPromisePercent > 100:
		return bad("min_promise_percent", "must be 0..100")
	case p.MinPromiseAmount.Minor < 0:
		return bad("min_promise_amount", "must not be negative")
	case p.MaxInstallments < 1 || p.MaxInstallments > 36:
		return bad("max_installments", "must be 1..36")
	case p.MinInstallment.Minor < 0:
		return bad("min_installment", "must not be negative")
	case p.FirstInstallmentWithin < 0 || p.FirstInstallmentWithin > 60:
		return bad("first_installment_within_days", "must be 0..60")
	case p.InstallmentEveryDays < 1 || p.InstallmentEveryDays > 31:
		return bad("installment_every_days", "must be 1..31")
	case p.ExtensionDays < 0 || p.ExtensionDays > 60:
		return bad("extension_days", "must be 0..60")
	case p.AllowExtension && p.ExtensionDays == 0:
		return bad("extension_days", "must be set when allow_extension is true")
	case p.Pack != "us" && p.Pack != "cn":
		return bad("pack", "must be us or cn")
	case strings.ContainsAny(p.PaymentURL, " \t\n"):
		return bad("payment_url", "must not contain spaces")
	}
	return nil
}
