// Loaded before the Bootstrap Italia bundle. Its video player (video.js, unused here) would inject
// <style> elements at start-up, which the Content-Security-Policy refuses: this flag stops it.
window.VIDEOJS_NO_DYNAMIC_STYLE = true;
