const { src, dest, parallel } = require('gulp');

// tsc emits only JavaScript; icons and codex files (<Node>.node.json) are copied next to it, for the core
// package (dist/) and for the companion (builtin/dist/, whose own files sit under builtin/dist/builtin/).
const ICONS = ['icons/**/*.{svg,png}', 'nodes/**/*.{svg,png}', 'credentials/**/*.{svg,png}'];

function copyIcons() {
	return src(ICONS, { base: '.', encoding: false }).pipe(dest('dist'));
}

function copyCodex() {
	return src('nodes/**/*.node.json', { base: '.' }).pipe(dest('dist'));
}

// The companion's node icons, and the core's credential icon its webhook credential inherits.
function copyCompanionIcons() {
	return src(['builtin/icons/*.{svg,png}', 'icons/tokenGuard*.svg'], { encoding: false }).pipe(
		dest('builtin/dist/builtin/icons'),
	);
}

function copyCompanionCodex() {
	return src('builtin/nodes/**/*.node.json', { base: '.' }).pipe(dest('builtin/dist'));
}

// npm packs a LICENSE file only from the package's own folder; the companion ships the repository's.
function copyCompanionLicense() {
	return src('LICENSE.md').pipe(dest('builtin'));
}

exports.build = parallel(copyIcons, copyCodex, copyCompanionIcons, copyCompanionCodex, copyCompanionLicense);
exports.default = exports.build;
