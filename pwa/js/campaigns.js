// Getting campaigns onto the phone: enrolment, the team's campaigns, a flyer's campaign, a preview.
// Documents are kept in IndexedDB; their audio prompts and catalogs go into the media cache.

import { errorMessage, request } from "./api.js";
import * as db from "./db.js";
import { CAMPAIGNS } from "./db.js";

export const MEDIA_CACHE = "wijkstem-media";

/** Resolves when the service worker is ready (its precache done), or after `ms` at the latest. */
function afterInstall(ms = 10000) {
  const ready = self.navigator?.serviceWorker?.ready || Promise.resolve();
  return Promise.race([ready, new Promise((resolve) => setTimeout(resolve, ms))]);
}

/** The clips of listen mode (campaign texts and the team's voice pack) and the recorded prompts in `codes`. */
export function clipUrls(campaign, codes) {
  const urls = [];
  for (const code of codes) {
    const audio = campaign.audio?.[code] || {};
    for (const clip of [...Object.values(audio.campaign || {}), ...Object.values(audio.phrases || {})]) {
      if (clip?.url) urls.push(clip.url);
    }
    for (const question of campaign.questions) if (question.prompts?.[code]) urls.push(question.prompts[code]);
  }
  return urls;
}

/** The languages whose clips a flyer visitor keeps: the one chosen and the campaign's default. */
export const flyerLanguages = (campaign, code) => [...new Set([code, campaign.default_language])]
  .filter((lang) => campaign.languages.includes(lang));

/** Fetch a campaign's clips (of `codes`: all its languages on an enrolled phone), pictograms and catalogs
 * into the cache so it works offline. Waits for the service worker first: on a slow link the first screen
 * gets the bandwidth. */
export async function cacheMedia(campaign, codes = campaign.languages) {
  if (!self.caches) return;
  await afterInstall();
  const urls = new Set(campaign.languages.map((code) => `/app/i18n/${code}.json`));
  for (const url of clipUrls(campaign, codes)) urls.add(url);
  for (const question of campaign.questions) {
    for (const choice of question.choices || []) if (choice.pictogram_url) urls.add(choice.pictogram_url);
  }
  try {
    const cache = await caches.open(MEDIA_CACHE);
    await Promise.all([...urls].map(async (url) => {
      if (!(await cache.match(url))) await cache.add(url);
    }));
  } catch {
    // offline or a file missing: the next download tries again
  }
}

/** Trade a one-time enrolment code for this device's token. */
export async function enrol(code, lang) {
  const result = await request("POST", "/api/v1/devices/enrol", { json: { code }, lang });
  if (!result.ok) return result;
  const device = { id: result.data.device_id, token: result.data.token, team: result.data.team,
    label: result.data.label, enrolledAt: new Date().toISOString() };
  await db.saveSetting("device", device);
  return { ok: true, device };
}

/** The team's published campaigns: downloaded when changed (ETag), else what is stored. */
export async function refreshCampaigns(device, lang) {
  const etag = await db.setting("campaignsEtag");
  const result = await request("GET", "/api/v1/campaigns", { token: device.token, lang, etag });
  if (result.ok && Array.isArray(result.data?.campaigns)) {
    for (const campaign of result.data.campaigns) {
      await db.put(CAMPAIGNS, { id: campaign.id, kind: "device", campaign, source: null });
      cacheMedia(campaign);
    }
    await db.saveSetting("campaignsEtag", result.headers.get("ETag"));
    await db.saveSetting("teamCampaigns", result.data.campaigns.map((c) => c.id));
  }
  return { result, campaigns: await teamCampaigns() };
}

export async function teamCampaigns() {
  const ids = (await db.setting("teamCampaigns")) || [];
  const records = await Promise.all(ids.map((id) => db.get(CAMPAIGNS, id)));
  return records.filter(Boolean);
}

export const storedCampaign = (id) => db.get(CAMPAIGNS, id);

/** This phone's date ("2026-12-04", local time): a route chosen for the day ends with it. */
function today() {
  const now = new Date();
  return [now.getFullYear(), now.getMonth() + 1, now.getDate()].map((n) => String(n).padStart(2, "0")).join("-");
}

/**
 * Where a door-to-door response to `record`'s campaign is counted ({code, name} or null): the route the field
 * worker chose today, else the phone's default source (chosen by the coordinator at enrolment).
 */
export async function routeSource(record) {
  const sources = record.campaign.sources || [];
  const choice = ((await db.setting("routes")) || {})[record.id];
  const code = choice?.day === today() ? choice.code : record.campaign.default_source;
  return sources.find((source) => source.code === code) || null;
}

/** The field worker's route for today (a source's code, or "" for none of them); tomorrow the default returns. */
export async function chooseRoute(record, code) {
  const routes = (await db.setting("routes")) || {};
  await db.saveSetting("routes", { ...routes, [record.id]: { code: code || null, day: today() } });
}

/**
 * A flyer's campaign: the stored copy at once if there is one (refreshed in the background),
 * else downloaded. Returns {record} or {error, status}.
 */
export async function flyerCampaign(code, lang, onRefresh) {
  const key = `flyer:${code}`;
  const stored = await db.get(CAMPAIGNS, key);
  const download = downloadFlyer(code, key, lang, stored);
  if (stored) {
    download.then((fresh) => fresh.record && fresh.record.campaign.etag !== stored.campaign.etag && onRefresh?.(fresh.record));
    return { record: stored };
  }
  return download;
}

/** A flyer's campaign handed over in the page of `/f/<code>` (as `GET /api/v1/sources/<code>` answers): kept
 * on the phone like a downloaded one; its clips are cached by the caller once the first screen shows. */
export async function keepFlyer(code, data, waitForIt = true) {
  const record = { id: `flyer:${code}`, kind: "flyer", campaign: data.campaign, source: data.source };
  const stored = db.put(CAMPAIGNS, record);
  if (waitForIt) await stored;
  else stored.catch(() => null); // the first screen does not wait; the next visit finds it, or downloads it
  return { record };
}

async function downloadFlyer(code, key, lang, stored) {
  const result = await request("GET", `/api/v1/sources/${encodeURIComponent(code)}`, { lang });
  if (result.ok && result.data?.campaign) {
    const kept = await keepFlyer(code, result.data);
    cacheMedia(kept.record.campaign, flyerLanguages(kept.record.campaign, lang));
    return kept;
  }
  if (stored && (result.network || result.status >= 500)) return { record: stored };
  return { error: errorMessage(result), status: result.status, network: result.network };
}

/** A campaign as the coordinator's workspace previews it (same-origin session; nothing stored). */
export async function previewCampaign(campaignId, lang) {
  const result = await request("GET", `/workspace/campaigns/${encodeURIComponent(campaignId)}/preview.json`,
    { lang });
  if (result.ok && result.data?.questions) return { record: { id: `preview:${campaignId}`, kind: "preview",
    campaign: result.data, source: null } };
  return { error: errorMessage(result), status: result.status, network: result.network };
}
