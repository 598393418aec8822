// The erasure page read aloud (docs/listen-mode.md, "The erasure page"). The page belongs to no team, so there
// is no team's voice pack to play: the phone's own voice speaks it, only when the phone has a voice for exactly
// the page's language; otherwise the button stays hidden (never a wrong-language voice).
(() => {
  const synth = self.speechSynthesis;
  const button = document.querySelector("button[data-speak]");
  if (!synth || !button) return;
  const lang = document.documentElement.lang.toLowerCase().split(/[-_]/)[0];
  const voice = () => synth.getVoices().find((v) => v.lang.toLowerCase().split(/[-_]/)[0] === lang) || null;
  const show = (playing) => button.classList.toggle("playing", playing);
  const refresh = () => { button.hidden = !voice(); };

  button.addEventListener("click", () => {
    const chosen = voice();
    if (button.classList.contains("playing") || !chosen) {
      show(false);
      synth.cancel();
      return;
    }
    const texts = [...document.querySelectorAll(button.dataset.speak)].map((e) => e.textContent.trim()).filter(Boolean);
    show(true);
    texts.forEach((text, index) => {
      const utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = chosen.lang;
      try {
        utterance.voice = chosen;
      } catch {
        // a voice list that is not the browser's own: the language tag chooses the voice
      }
      if (index === texts.length - 1) utterance.onend = utterance.onerror = () => show(false);
      synth.speak(utterance);
    });
  });
  refresh();
  synth.addEventListener?.("voiceschanged", refresh);
})();
