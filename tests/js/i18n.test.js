// pwa/js/i18n.js: sizes as people read them.

import assert from "node:assert/strict";
import { test } from "node:test";

import { formatSize } from "../../pwa/js/i18n.js";

test("sizes below one megabyte are in kilobytes, never 0,0 MB; above it in megabytes (Dutch formats)", () => {
  assert.equal(formatSize(600), "0,6 kB");
  assert.equal(formatSize(7100), "7,1 kB");
  assert.equal(formatSize(18_700), "19 kB");
  assert.equal(formatSize(999_000), "999 kB");
  assert.equal(formatSize(2_500_000), "2,5 MB");
  assert.equal(formatSize(42_000_000), "42 MB");
});
