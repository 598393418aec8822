// Building and showing screens: a tiny element helper, focus on each new screen, live announcements.

/** h("button", {class: "big", onclick}, "text", child...) */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

let cleanup = null;

/** Replace the screen; focus its heading so screen readers announce it. `onLeave` runs when it goes. */
export function show(title, content, onLeave = null) {
  if (cleanup) cleanup();
  document.dispatchEvent(new CustomEvent("screenchange")); // the speaker stops (speaker.js)
  cleanup = onLeave;
  const main = document.getElementById("screen");
  main.replaceChildren(content);
  document.title = title ? `${title} · Wijkstem` : "Wijkstem";
  const heading = main.querySelector("h1, h2");
  if (heading) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
  window.scrollTo(0, 0);
  document.body.dataset.ready = "true";
}

/** Say something politely to screen readers. */
export function announce(text) {
  const live = document.getElementById("live");
  live.textContent = "";
  setTimeout(() => { live.textContent = text; }, 50);
}

/** A row of navigation buttons at the bottom of a screen. */
export function actions(...buttons) {
  return h("div", { class: "actions" }, ...buttons);
}

/** A notice in plain words; `kind` is "error", "info" or "ok". */
export function notice(text, kind = "info") {
  return h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

const screens = {};
/** Screens loaded when first opened, so the first screen on a slow link needs fewer files. */
const LAZY = { consent: "consent", question: "question", meta: "meta", receipt: "receipt", message: "message",
  enrol: "enrol", home: "home", status: "status" };

/** Screen modules register themselves by name, so modules can open each other without import cycles. */
export function register(name, render) {
  screens[name] = render;
}

let beforeOpen = null;

/** `hook(name)` runs (and is awaited) before each screen opens. */
export function beforeEachScreen(hook) {
  beforeOpen = hook;
}

export async function open(name, ...args) {
  await beforeOpen?.(name);
  if (!screens[name] && LAZY[name]) await import(`./screens/${LAZY[name]}.js`);
  return screens[name](...args);
}
