package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/collectagent/collectagent/audit"
	"github.com/collectagent/collectagent/compliance"
	"github.com/collectagent/collectagent/store"
)

// demoBorrower is one seeded demo account; due dates are relative to the
// day the demo starts, in the borrower's zone, so the demo never goes
// stale.
type demoBorrower struct {
	acct        store.Account
	amountMinor int64
	minMinor    int64
	currency    string
	daysLate    int
	creditor    string
}

func demoBorrowers() []demoBorrower {
	all := store.Consent{Chat: true, Voice: true, SMS: true, Recording: true}
	return []demoBorrower{
		{acct: store.Account{ID: "demo-maria", Name: "Maria Lopez", DateOfBirth: "1988-07-21", IDLast4: "4417",
			Locale: "en-US", Timezone: "America/Chicago", Phone: "+13125550100", Email: "maria@example.com",
			Portfolio: "us", Consent: all},
			amountMinor: 24000, minMinor: 5000, currency: "USD", daysLate: 9, creditor: "Demo Finance"},
		{acct: store.Account{ID: "demo-james", Name: "James Carter", DateOfBirth: "1979-02-03", IDLast4: "9051",
			Locale: "en-US", Timezone: "America/New_York", Phone: "+12125550142", Email: "james@example.com",
			Portfolio: "us", Consent: all},
			amountMinor: 125000, minMinor: 10000, currency: "USD", daysLate: 21, creditor: "Demo Finance"},
		{acct: store.Account{ID: "demo-wangfang", Name: "王芳", DateOfBirth: "1992-03-15", IDLast4: "213X",
			Locale: "zh-CN", Timezone: "Asia/Shanghai", Phone: "+8613800138000", Email: "wangfang@example.com",
			Portfolio: "cn", Consent: all},
			amountMinor: 86000, minMinor: 10000, currency: "CNY", daysLate: 12, creditor: "示例消费金融"},
		{acct: store.Account{ID: "demo-liqiang", Name: "李强", DateOfBirth: "1985-11-08", IDLast4: "0628",
			Locale: "zh-CN", Timezone: "Asia/Shanghai", Phone: "+8613900139000", Email: "liqiang@example.com",
			Portfolio: "cn", Consent: all},
			amountMinor: 360000, minMinor: 30000, currency: "CNY", daysLate: 5, creditor: "示例消费金融"},
	}
}

// seedDemo inserts the demo borrowers that are not there yet (an existing
// one keeps its history) and returns their ids.
func seedDemo(ctx context.Context, st store.Store, now time.Time) ([]string, error) {
	var ids []string
	var missing []store.Account
	for _, b := range demoBorrowers() {
		ids = append(ids, b.acct.ID)
		_, err := st.GetAccount(ctx, b.acct.ID)
		if err == nil {
			continue
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("look up %s: %w", b.acct.ID, err)
		}
		loc, err := time.LoadLocation(b.acct.Timezone)
		if err != nil {
			return nil, fmt.Errorf("%s timezone: %w", b.acct.ID, err)
		}
		due := compliance.DateOf(now.In(loc)).AddDays(-b.daysLate)
		a := b.acct
		a.Debts = []store.Debt{{
			ID: a.ID + "-d1", AccountID: a.ID, Creditor: b.creditor, AmountMinor: b.amountMinor,
			Currency: b.currency, DueDate: due.String(), DaysPastDue: b.daysLate, MinPaymentMinor: b.minMinor,
		}}
		missing = append(missing, a)
	}
	if len(missing) > 0 {
		if err := st.UpsertAccounts(ctx, missing); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		if err := audit.SealImport(ctx, st, missing, "demo", "", now); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
	}
	return ids, nil
}
