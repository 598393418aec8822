// Selecting words in an answer, a transcript or a translation fills the response page's theme form: which text
// (`data-fragment-source`), the words, and their character offsets. Without this script the form still works:
// the words can be typed, and the server finds them in the chosen text.

const form = document.getElementById("theme-form");

function offsetsIn(element, range) {
  const before = document.createRange();
  before.selectNodeContents(element);
  before.setEnd(range.startContainer, range.startOffset);
  const start = before.toString().length;
  return [start, start + range.toString().length];
}

function take(source, words, start, end) {
  if (!words.trim()) return;
  const { elements } = form;
  if (![...elements.source.options].some((option) => option.value === source)) return;
  elements.source.value = source;
  elements.words.value = words;
  elements.start.value = String(start);
  elements.end.value = String(end);
  document.getElementById("theme-selection").textContent = form.dataset.selected.replace("{words}", words);
}

function fromTextarea(field) {
  if (field.selectionStart === field.selectionEnd) return false;
  take(field.dataset.fragmentSource, field.value.slice(field.selectionStart, field.selectionEnd),
    field.selectionStart, field.selectionEnd);
  return true;
}

function fromPage() {
  const selection = document.getSelection();
  if (!selection || selection.isCollapsed || !selection.rangeCount) return;
  const range = selection.getRangeAt(0);
  const node = range.commonAncestorContainer;
  const element = (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement)?.closest("[data-fragment-source]");
  if (!element || element.tagName === "TEXTAREA") return;
  const [start, end] = offsetsIn(element, range);
  take(element.dataset.fragmentSource, range.toString(), start, end);
}

if (form) {
  document.addEventListener("selectionchange", () => {
    const active = document.activeElement;
    if (active?.tagName === "TEXTAREA" && active.dataset.fragmentSource) {
      fromTextarea(active);
    } else {
      fromPage();
    }
  });
  // textareas report their selection on `select` (some browsers send no `selectionchange` for them)
  for (const field of document.querySelectorAll("textarea[data-fragment-source]")) {
    field.addEventListener("select", () => fromTextarea(field));
  }
}
