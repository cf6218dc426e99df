package main

import (
	"slices"
	"testing"

	"github.com/kds-io/kds/adapters/httpapi/apiv1"
	"github.com/kds-io/kds/app/content"
	"github.com/kds-io/kds/app/subscription"
)

func TestSubscribedNamesSayWhichAreBehind(t *testing.T) {
	t.Parallel()
	subs := []subscription.Subscription{{Topic: "orders"}, {Topic: "clicks"}, {Topic: "news"}}
	lags := []apiv1.SubscriptionLag{
		{Consumer: "desk", Lag: content.Lag{Topic: "orders", Total: 1200, Seconds: 95}},
		{Consumer: "desk", Lag: content.Lag{Topic: "clicks", Total: 3, Seconds: 2}},  // behind by seconds only
		{Consumer: "other", Lag: content.Lag{Topic: "news", Total: 9, Seconds: 600}}, // another consumer's
	}
	got := subscribedNames("desk", subs, lags)
	if want := []string{"orders (behind by 1200 (1m35s))", "clicks", "news"}; !slices.Equal(got, want) {
		t.Errorf("subscribedNames = %q, want %q", got, want)
	}
}
