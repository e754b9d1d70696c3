"""The page's CSS: a grid that fills the screen, and text sized relative to the screen's width.

Sizes use ``clamp(min, vw, max)``: on a 1920-pixel projector the body text is about 20 px and the
headline numbers about 46 px; on a 1366-pixel laptop everything is the same share of the screen
(a room sees the same picture) but never smaller than the minimum. Nothing truncates text with
an ellipsis: labels wrap instead (the browser tests check every heading, label and title).
"""

CSS = """
.bsc-page { font-size: clamp(14px, 1.04vw, 21px); line-height: 1.3; color: #1a1a1a; padding: 0.6vw 1vw 1.5vw; }
.bsc-page * { box-sizing: border-box; }
.bsc-header { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 0.4vw 1.5vw;
              margin-bottom: 0.6vw; }
.bsc-heading { flex: 1 1 30em; min-width: 0; }
.bsc-title { font-size: clamp(20px, 1.75vw, 36px); font-weight: 700; margin: 0; line-height: 1.15; }
.bsc-subtitle { font-size: 0.85em; color: #444; margin-top: 0.15em; }
.bsc-mode .v-btn { font-size: 0.85em !important; text-transform: none !important; letter-spacing: 0 !important;
                   height: auto !important; min-height: 2.2em; padding: 0.3em 0.8em !important; }
.bsc-body { display: grid; grid-template-columns: clamp(240px, 18.5vw, 380px) minmax(0, 1fr); gap: 1vw;
            align-items: start; }
.bsc-side { display: flex; flex-direction: column; gap: 0.8vw; min-width: 0; }
.bsc-card { background: #f6f7f9; border-radius: 8px; padding: 0.5em 0.7em 0.7em; }
.bsc-panel-title { font-size: 1.02em; font-weight: 700; margin: 0 0 0.3em; line-height: 1.2; }
.bsc-label { font-size: 0.9em; margin: 0.55em 0 0; overflow-wrap: anywhere; }
.bsc-note { font-size: 0.85em; color: #444; margin-top: 0.4em; }
.bsc-buttons { display: flex; flex-wrap: wrap; gap: 0.4em; }
.bsc-buttons .v-btn { font-size: 0.9em !important; text-transform: none !important; letter-spacing: 0 !important;
                      height: auto !important; min-height: 2.3em; padding: 0.3em 0.7em !important; }
.bsc-play { min-width: 6.2em !important; }
.bsc-speed-buttons .v-btn { font-size: 0.8em !important; text-transform: none !important; letter-spacing: 0 !important;
                            padding: 0 0.5em !important; min-width: 0 !important; height: 2.1em !important; }
.bsc-speed-buttons { flex-wrap: wrap; height: auto !important; }
.bsc-lever .v-input__details { display: none; }
.bsc-lever .v-slider { margin-inline: 0.3em 0.3em !important; }
.bsc-lever .v-input { font-size: 0.9em; }
.bsc-lever .v-field { font-size: 0.9em; }
.bsc-lever .v-field__input { min-height: 2.3em; padding-top: 0.3em; padding-bottom: 0.3em; }
.bsc-lever .v-select__selection-text { white-space: normal; overflow: visible; }
.bsc-main { min-width: 0; display: flex; flex-direction: column; gap: 0.7vw; }
.bsc-tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(8.2em, 1fr)); gap: 0.5vw; }
.bsc-tile { background: #f6f7f9; border-radius: 8px; padding: 0.35em 0.6em 0.45em; min-width: 0; }
.bsc-tile-week { background: #eaf0fa; }
.bsc-tile-title { font-size: 0.82em; color: #333; font-weight: 600; line-height: 1.15; }
.bsc-tile-value { font-size: clamp(24px, 2.2vw, 46px); font-weight: 700; line-height: 1.1; margin: 0.05em 0;
                  font-variant-numeric: tabular-nums; }
.bsc-tile-note { font-size: 0.75em; color: #444; line-height: 1.2; }
.bsc-one { display: grid; grid-template-columns: minmax(0, 1.45fr) minmax(0, 1fr); gap: 1vw; align-items: start; }
.bsc-two { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 1vw; align-items: start; }
.bsc-charts { display: flex; flex-direction: column; gap: 0.6vw; min-width: 0; }
.bsc-panel { min-width: 0; }
.bsc-design-title { font-size: 1.25em; font-weight: 700; margin: 0 0 0.3em; border-left: 0.35em solid;
                    padding-left: 0.4em; line-height: 1.2; }
.bsc-design .bsc-tiles { grid-template-columns: repeat(4, minmax(0, 1fr)); }
.bsc-card .bsc-tile-week { margin-bottom: 0.5em; }
.bsc-picture img, img.bsc-picture, .bsc-chart img, img.bsc-chart { width: 100%; height: auto; display: block; }
.bsc-key { display: flex; flex-wrap: wrap; gap: 0.15em 1em; font-size: 0.78em; color: #222; margin-top: 0.2em; }
.bsc-key-item { display: inline-flex; align-items: center; gap: 0.3em; }
.bsc-swatch { width: 1.1em; height: 1.1em; flex: none; }
.bsc-swatch-line { width: 1.7em; }
/* Solara's fixed "runs on Solara" line would sit over the charts' keys at the bottom of the screen. */
div:has(> b > a[href="https://solara.dev"]) { display: none; }
"""
