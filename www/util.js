// Small DOM and formatting helpers shared by the demo page's modules (app.js, chat.js).

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export const pad = (n, w = 2) => String(n).padStart(w, '0');
export const clock = (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
export const describeError = (e) => (e && e.name && e.message ? `${e.name}: ${e.message}` : String(e));
export const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** A coloured label (`.badge`) of `text` in the hue `hue` (0–360). */
export function badge(text, hue, neutral = false) {
  const b = el('span', 'badge', text);
  b.style.setProperty('--hue', hue);
  if (neutral) b.classList.add('neutral');
  return b;
}
