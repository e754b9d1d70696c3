"""The page's CSS: a grid that fills the screen, and text sized for the back row of a room.

Sizes use ``clamp(min, vw, max)``: the body text is 16 px on a 1366-pixel laptop and about 22 px
on a 1920-pixel projector, so a room sees the same picture on either; no text is ever smaller
than ``MIN_TEXT_PX`` (every smaller share of the body text is written ``max(16px, ...)``). The
controls fit in the left column without scrolling at 1366x768. Nothing truncates text with an
ellipsis: labels wrap instead (the browser tests check every heading, label and title, the
smallest text and that every control is on screen).
"""

MIN_TEXT_PX = 16

CSS = """
.bsc-page { font-size: clamp(16px, 1.17vw, 24px); line-height: 1.25; color: #1a1a1a; padding: 0.4vw 0.8vw 1vw; }
.bsc-page * { box-sizing: border-box; }
.bsc-header { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 0.2vw 1.2vw;
              margin-bottom: 0.4vw; }
.bsc-heading { flex: 1 1 30em; min-width: 0; }
.bsc-title { font-size: clamp(22px, 1.75vw, 38px); font-weight: 700; margin: 0; line-height: 1.15; }
.bsc-subtitle { font-size: max(16px, 0.85em); color: #333; margin-top: 0.1em; }
.bsc-mode .v-btn { font-size: max(16px, 0.85em) !important; text-transform: none !important; letter-spacing: 0 !important;
                   height: auto !important; min-height: 2em; padding: 0.25em 0.7em !important; }
.bsc-body { display: grid; grid-template-columns: clamp(270px, 19.5vw, 420px) minmax(0, 1fr); gap: 0.9vw;
            align-items: start; }
.bsc-side { display: flex; flex-direction: column; gap: 0.5vw; min-width: 0; }
.bsc-card { background: #f6f7f9; border-radius: 8px; padding: 0.35em 0.6em 0.45em; }
.bsc-panel-title { font-size: 1.05em; font-weight: 700; margin: 0 0 0.2em; line-height: 1.2; }
.bsc-label { font-size: max(16px, 0.9em); margin: 0.15em 0 0; overflow-wrap: anywhere; line-height: 1.2; }
.bsc-note { font-size: max(16px, 0.85em); color: #333; margin-top: 0.25em; line-height: 1.2; }
.bsc-buttons { display: flex; flex-wrap: wrap; gap: 0.35em; }
.bsc-buttons .v-btn { font-size: max(16px, 0.9em) !important; text-transform: none !important; letter-spacing: 0 !important;
                      height: auto !important; min-height: 2.1em; padding: 0.2em 0.6em !important; }
.bsc-play { min-width: 5.6em !important; }
.bsc-speed-buttons .v-btn { font-size: max(16px, 0.85em) !important; text-transform: none !important; letter-spacing: 0 !important;
                            padding: 0 0.45em !important; min-width: 0 !important; height: 1.9em !important; }
.bsc-speed-buttons { flex-wrap: wrap; height: auto !important; }
.bsc-card > .v-sheet, .bsc-card .v-sheet.d-flex { gap: 0.15em !important; }
.bsc-lever .v-input__details { display: none; }
.bsc-lever .v-slider { margin-inline: 0.4em 0.4em !important; }
.bsc-lever .v-slider.v-input--horizontal { min-height: 1.6em; }
.bsc-lever .v-slider .v-input__control { min-height: 1.6em !important; }
.bsc-lever .v-input { font-size: max(16px, 0.9em); }
.bsc-lever .v-field { font-size: max(16px, 0.9em); }
.bsc-lever .v-field__input { min-height: 2em; padding-top: 0.15em; padding-bottom: 0.15em; }
.bsc-lever .v-select__selection-text { white-space: normal; overflow: visible; }
.bsc-lever input { font-size: max(16px, 0.9em); }
.bsc-main { min-width: 0; display: flex; flex-direction: column; gap: 0.5vw; }
.bsc-tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(8.2em, 1fr)); gap: 0.4vw; }
.bsc-tile { background: #f6f7f9; border-radius: 8px; padding: 0.25em 0.5em 0.35em; min-width: 0; }
.bsc-tile-week { background: #eaf0fa; }
.bsc-tile-title { font-size: max(16px, 0.82em); color: #222; font-weight: 600; line-height: 1.15; }
.bsc-tile-value { font-size: clamp(28px, 2.3vw, 50px); font-weight: 700; line-height: 1.1; margin: 0.02em 0;
                  font-variant-numeric: tabular-nums; }
.bsc-tile-note { font-size: max(16px, 0.75em); color: #333; line-height: 1.2; }
.bsc-one { display: grid; grid-template-columns: minmax(0, 1.3fr) minmax(0, 1fr); gap: 0.9vw; align-items: start; }
.bsc-two { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 0.9vw; align-items: start; }
.bsc-charts { display: flex; flex-direction: column; gap: 0.5vw; min-width: 0; }
.bsc-panel { min-width: 0; }
.bsc-design-title { font-size: 1.2em; font-weight: 700; margin: 0 0 0.2em; border-left: 0.35em solid;
                    padding-left: 0.4em; line-height: 1.2; }
.bsc-design .bsc-tiles { grid-template-columns: repeat(3, minmax(0, 1fr)) minmax(0, 1.3fr); }
.bsc-design .bsc-tile-value { font-size: clamp(26px, 2.05vw, 46px); }
.bsc-card .bsc-tile-week { margin-bottom: 0.4em; }
.bsc-picture img, img.bsc-picture, .bsc-chart img, img.bsc-chart { width: 100%; height: auto; display: block; }
.bsc-key { display: flex; flex-wrap: wrap; gap: 0.1em 0.9em; font-size: max(16px, 0.8em); color: #222; margin-top: 0.15em; }
.bsc-key-item { display: inline-flex; align-items: center; gap: 0.3em; }
.bsc-swatch { width: 1.1em; height: 1.1em; flex: none; }
.bsc-swatch-line { width: 1.7em; }
/* Browser zoom (or a narrow window): at 150% a 1366-pixel screen is about 910 CSS pixels wide.
   Rather than shrink the pictures into narrow columns, stack them so they keep their width. */
@media (max-width: 1150px) {
  .bsc-one { grid-template-columns: minmax(0, 1fr); }
}
@media (max-width: 820px) {
  .bsc-body { grid-template-columns: minmax(0, 1fr); }
  .bsc-two { grid-template-columns: minmax(0, 1fr); }
}
/* Solara's fixed "runs on Solara" line would sit over the charts' keys at the bottom of the screen. */
div:has(> b > a[href="https://solara.dev"]) { display: none; }
"""
