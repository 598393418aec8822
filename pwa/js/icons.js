// The app's own pictograms as inline SVG (never emoji: a phone without a colour-emoji font shows empty boxes).
// Each is drawn on a 24×24 grid in `currentColor`, so it follows the button's colour and high-contrast modes.

const FACE = '<circle cx="12" cy="12" r="10" fill="#ffd34e" stroke="#1b1b1b" stroke-width="1.5"/>'
  + '<circle cx="8.5" cy="10" r="1.3" fill="#1b1b1b"/><circle cx="15.5" cy="10" r="1.3" fill="#1b1b1b"/>';
const MOUTH = (d) => `${FACE}<path d="${d}" fill="none" stroke="#1b1b1b" stroke-width="1.6" stroke-linecap="round"/>`;
const STROKE = 'fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round"';

const DRAWINGS = {
  smiley1: `${MOUTH("M7.5 17.5q4.5-4.5 9 0")}<path d="M6.5 7.2l3.5 1.3M17.5 7.2L14 8.5" stroke="#1b1b1b" stroke-width="1.5" stroke-linecap="round"/>`,
  smiley2: MOUTH("M8 16.5q4-3 8 0"),
  smiley3: MOUTH("M8 15.5h8"),
  smiley4: MOUTH("M8 14.5q4 3 8 0"),
  smiley5: `${FACE}<path d="M7 13.5h10q-1 5-5 5t-5-5z" fill="#1b1b1b"/>`,
  speaker: `<path d="M4 9.5h3.5L12 5.5v13l-4.5-4H4z" fill="currentColor"/><path d="M15 9a4 4 0 0 1 0 6M17.5 6.5a7.5 7.5 0 0 1 0 11" ${STROKE} class="waves"/>`,
  stop: '<rect x="6" y="6" width="12" height="12" rx="2" fill="currentColor"/>',
  mic: `<rect x="9" y="3" width="6" height="11" rx="3" fill="currentColor"/><path d="M6 11a6 6 0 0 0 12 0M12 17v4M8.5 21h7" ${STROKE}/>`,
  language: `<circle cx="12" cy="12" r="9" ${STROKE}/><path d="M3 12h18M12 3c3 3 3 15 0 18M12 3c-3 3-3 15 0 18" ${STROKE}/>`,
  yes: `<path d="M5 12.5l4.5 4.5L19 7.5" ${STROKE} stroke-width="3"/>`,
  no: `<path d="M6.5 6.5l11 11M17.5 6.5l-11 11" ${STROKE} stroke-width="3"/>`,
  next: `<path d="M5 12h13M13 6.5l5.5 5.5-5.5 5.5" ${STROKE}/>`,
  back: `<path d="M19 12H6M11 6.5L5.5 12l5.5 5.5" ${STROKE}/>`,
  save: `<path d="M12 4v11M7 10.5l5 5 5-5M5 19.5h14" ${STROKE}/>`,
  enlarge: `<path d="M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5" ${STROKE}/>`,
};

/** An inline SVG pictogram, hidden from screen readers (the button or label around it carries the words). */
export function icon(name, className = "icon") {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", `${className} icon-${name}`);
  svg.innerHTML = DRAWINGS[name];
  return svg;
}
