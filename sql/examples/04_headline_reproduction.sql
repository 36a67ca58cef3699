-- The headline: State of the Sector 2017's "£105m (-14%) fall in adult drug and alcohol spend
-- 2013/14 to 2017/18", recomputed from the RA budget files beside the published figure.
SELECT claim_id, quote, published_value, computed_value, difference, tolerance, status
FROM out.reproduction
WHERE claim_id IN ('sots17_adults_change', 'sots17_adults_change_pct')
ORDER BY claim_id
