// Shared by the secondary pages (About, Privacy, Terms, Disclaimer, Models, History): the theme
// toggle, and the disclaimer when it is due (a visitor may land on any page first).

import { initThemeToggle } from "../theme.js";
import { maybeShowDisclaimer } from "../modal.js";

const toggle = document.getElementById("theme-toggle");
if (toggle) initThemeToggle(toggle);
maybeShowDisclaimer();
