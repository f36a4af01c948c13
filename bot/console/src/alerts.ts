/** A new handoff gets the agent's attention: a short chime (Web Audio, nothing to
 * download) and a browser notification when the agent allowed them. */

let audio: AudioContext | null = null;

export function chime(): void {
  try {
    audio ??= new AudioContext();
    const start = audio.currentTime;
    for (const [offset, frequency] of [[0, 880], [0.16, 1320]] as const) {
      const oscillator = audio.createOscillator();
      const gain = audio.createGain();
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, start + offset);
      gain.gain.exponentialRampToValueAtTime(0.25, start + offset + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.3);
      oscillator.connect(gain).connect(audio.destination);
      oscillator.start(start + offset);
      oscillator.stop(start + offset + 0.32);
    }
  } catch {
    // No audio (autoplay policy before any click, or no device): the list still shows it.
  }
}

export function notificationsAvailable(): boolean {
  return typeof Notification !== "undefined";
}

export function notify(title: string, body: string, onClick: () => void): void {
  if (!notificationsAvailable() || Notification.permission !== "granted") return;
  const note = new Notification(title, { body, tag: "handoff" });
  note.onclick = () => {
    window.focus();
    onClick();
    note.close();
  };
}
