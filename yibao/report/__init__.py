"""The static HTML report (yibao report): payout curves, a diff's impact, as inline SVG."""
