// Dark / light theme: an attribute on <html>, kept in localStorage under "aegis.theme".
// theme-boot.js applies the saved choice before the first paint.

const KEY = "aegis.theme";

/** The current theme: "dark" or "light". */
export function currentTheme() {
  return document.documentElement.getAttribute("data-theme") === "light" ? "light" : "dark";
}

/** Applies and saves a theme, and tells listeners (charts re-read their colours). */
export function setTheme(theme) {
  document.documentElement.setAttribute("data-theme", theme);
  try {
    localStorage.setItem(KEY, theme);
  } catch (e) {
    /* storage disabled: the choice lasts until reload */
  }
  document.dispatchEvent(new CustomEvent("aegis:theme", { detail: theme }));
}

/** Wires the toggle button (its label names the theme it switches to). */
export function initThemeToggle(button) {
  const sync = () => {
    const next = currentTheme() === "dark" ? "light" : "dark";
    button.setAttribute("aria-label", `Switch to the ${next} theme`);
    button.setAttribute("title", `Switch to the ${next} theme`);
  };
  sync();
  button.addEventListener("click", () => {
    setTheme(currentTheme() === "dark" ? "light" : "dark");
    sync();
  });
}
