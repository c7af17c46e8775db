// Progressive enhancement of the arena pages: vote without a page reload, letter shortcuts,
// the next battle fetched in place, the image zoom and the shared video control.
// Without JavaScript the same page works as plain forms (POST, then redirect), each image
// links to its file and each video keeps its own controls.
// The page is the one source of what this script shows: the choices, their labels and keys
// come from the vote buttons, the URLs from data attributes, and the next battle's card and
// the voter's panel are HTML fragments rendered by the server's own templates.
// What the voter sees and why: docs/voting-ui.md.
(function () {
  "use strict";

  const root = document.getElementById("battle");

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function typingInField(event) {
    const tag = event.target.tagName;
    return tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || event.target.isContentEditable;
  }

  function modified(event) {
    return event.ctrlKey || event.metaKey || event.altKey;
  }

  // --- Image zoom: fit to the screen, then full detail with panning; A and B in turn. ---
  function setupZoom() {
    const dialog = document.querySelector("[data-zoom-dialog]");
    if (!dialog || typeof dialog.showModal !== "function") return null;
    const stage = dialog.querySelector("[data-zoom-stage]");
    const image = dialog.querySelector("[data-zoom-image]");
    const modeButton = dialog.querySelector("[data-zoom-mode]");
    const sideButtons = Array.from(dialog.querySelectorAll("[data-zoom-show]"));
    let detail = false;
    let side = "a";
    let drag = null; // {x, y, left, top, moved} while a pointer pans the detail view

    function sourceOf(wanted) {
      const link = document.querySelector('[data-zoom][data-zoom-side="' + wanted + '"]');
      return link ? link.dataset.zoom : "";
    }

    // Fit: the largest size that shows the whole image. Detail: at least the file's own
    // pixels (1:1) and at least twice the fitted size, so a small image still shows its
    // pixels (drawn square, not blurred) and a large one its full resolution.
    function layout() {
      const width = image.naturalWidth;
      const height = image.naturalHeight;
      if (!width || !height) return;
      const fit = Math.min(stage.clientWidth / width, stage.clientHeight / height);
      const scale = detail ? Math.max(1, 2 * fit) : fit;
      image.style.width = Math.round(width * scale) + "px";
      image.style.height = Math.round(height * scale) + "px";
      stage.classList.toggle("detail", detail);
      modeButton.textContent = detail ? "Fit to screen" : "Full detail";
      modeButton.setAttribute("aria-pressed", String(detail));
    }

    function show(wanted) {
      const source = sourceOf(wanted);
      if (!source) return;
      side = wanted;
      sideButtons.forEach(function (button) {
        button.setAttribute("aria-pressed", String(button.dataset.zoomShow === side));
      });
      image.alt = "Image " + side.toUpperCase() + ", enlarged";
      if (image.getAttribute("src") !== source) image.src = source;
      if (image.complete) layout();
    }

    // Switches between fit and detail, keeping the point under the pointer (or the centre)
    // where it was on the screen.
    function toggle(clientX, clientY) {
      const box = image.getBoundingClientRect();
      const frame = stage.getBoundingClientRect();
      const x = clientX === undefined ? frame.left + frame.width / 2 : clientX;
      const y = clientY === undefined ? frame.top + frame.height / 2 : clientY;
      const u = Math.min(1, Math.max(0, (x - box.left) / box.width));
      const v = Math.min(1, Math.max(0, (y - box.top) / box.height));
      detail = !detail;
      layout();
      const after = image.getBoundingClientRect();
      stage.scrollLeft += after.left + u * after.width - x;
      stage.scrollTop += after.top + v * after.height - y;
    }

    image.addEventListener("load", layout);
    window.addEventListener("resize", function () { if (dialog.open) layout(); });
    modeButton.addEventListener("click", function () { toggle(); });
    sideButtons.forEach(function (button) {
      button.addEventListener("click", function () { show(button.dataset.zoomShow); });
    });
    stage.addEventListener("pointerdown", function (event) {
      drag = { x: event.clientX, y: event.clientY, left: stage.scrollLeft, top: stage.scrollTop, moved: false };
      if (detail) stage.setPointerCapture(event.pointerId);
    });
    stage.addEventListener("pointermove", function (event) {
      if (!drag) return;
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 4) drag.moved = true;
      if (detail && drag.moved) {
        stage.classList.add("panning");
        stage.scrollLeft = drag.left - dx;
        stage.scrollTop = drag.top - dy;
      }
    });
    stage.addEventListener("pointerup", function (event) {
      const tapped = drag && !drag.moved;
      drag = null;
      stage.classList.remove("panning");
      if (tapped) toggle(event.clientX, event.clientY);
    });
    stage.addEventListener("pointercancel", function () { drag = null; stage.classList.remove("panning"); });
    dialog.addEventListener("close", function () { detail = false; });

    document.addEventListener("click", function (event) {
      const link = event.target.closest && event.target.closest("[data-zoom]");
      if (!link || modified(event)) return;
      event.preventDefault();
      detail = false;
      stage.scrollLeft = 0;
      stage.scrollTop = 0;
      dialog.showModal();
      show(link.dataset.zoomSide);
    });

    return {
      // While the zoom is open its keys are its own: nothing typed there votes.
      handleKey: function (event) {
        if (!dialog.open) return false;
        const key = event.key.toLowerCase();
        if (key === "arrowleft" || key === "a") { event.preventDefault(); show("a"); }
        if (key === "arrowright" || key === "b") { event.preventDefault(); show("b"); }
        return true;
      },
    };
  }

  // --- Videos: one control plays, pauses and seeks both; they never drift apart. ---
  // The longest video is the clock. Every play starts both from the same frame (both paused,
  // both seeked, then both played); while they play, each frame nudges the other one back
  // onto the clock; a shorter video holds its last frame until the longest one loops. The
  // native controls are removed (each would drive one video only); anything else that plays,
  // pauses or seeks one video (media keys, the browser's menu) is applied to both.
  const DRIFT_SECONDS = 0.04;

  function formatTime(seconds) {
    const whole = Math.max(0, seconds || 0);
    const minutes = Math.floor(whole / 60);
    const rest = (whole - minutes * 60).toFixed(1);
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function seeked(video) {
    return new Promise(function (resolve) {
      if (!video.seeking && video.readyState >= 2) { resolve(); return; }
      const done = function () {
        video.removeEventListener("seeked", done);
        video.removeEventListener("canplay", done);
        resolve();
      };
      video.addEventListener("seeked", done);
      video.addEventListener("canplay", done);
    });
  }

  function syncVideos(container) {
    const panel = document.querySelector("[data-video-sync]");
    const videos = container ? Array.from(container.querySelectorAll("video")) : [];
    if (!panel || videos.length !== 2) return;
    panel.hidden = false;
    const play = panel.querySelector("[data-sync-play]");
    const seek = panel.querySelector("[data-sync-seek]");
    const time = panel.querySelector("[data-sync-time]");
    const autoplay = panel.querySelector("[data-sync-autoplay]");
    let playing = false;
    let starting = false;
    let scrubbing = false;

    videos.forEach(function (video) {
      video.controls = false;
      video.loop = false; // the pair loops together, on the longest video's end
    });

    function clockVideo() {
      return videos.reduce(function (a, b) { return (b.duration || 0) > (a.duration || 0) ? b : a; });
    }
    function total() { return clockVideo().duration || 0; }
    function align(seconds) {
      videos.forEach(function (video) {
        const target = Math.min(seconds, video.duration || seconds);
        if (Math.abs(video.currentTime - target) > 0.001) video.currentTime = target;
      });
    }

    function render() {
      play.textContent = playing ? "Pause both" : "Play both";
      play.setAttribute("aria-label", playing ? "Pause both videos" : "Play both videos");
      const now = clockVideo().currentTime;
      if (total() && !scrubbing) seek.value = String(Math.round((now / total()) * 1000));
      time.textContent = formatTime(now);
    }

    function follow() {
      if (!playing || !videos[0].isConnected) return;
      const clock = clockVideo();
      const now = clock.currentTime;
      videos.forEach(function (video) {
        if (video === clock || video.seeking || starting) return;
        const target = Math.min(now, video.duration || now);
        const behind = target - video.currentTime;
        if (Math.abs(behind) > DRIFT_SECONDS) video.currentTime = target;
        if (video.paused && now < (video.duration || 0)) video.play().catch(function () {});
      });
      render();
      window.requestAnimationFrame(follow);
    }

    async function start() {
      playing = true;
      starting = true;
      render();
      const from = clockVideo().ended || clockVideo().currentTime >= total() ? 0 : clockVideo().currentTime;
      videos.forEach(function (video) { video.pause(); });
      align(from);
      await Promise.all(videos.map(seeked));
      if (!playing) { starting = false; return; }
      await Promise.all(videos.map(function (video) { return video.play().catch(function () {}); }));
      starting = false;
      window.requestAnimationFrame(follow);
    }

    function stop() {
      playing = false;
      videos.forEach(function (video) { video.pause(); });
      align(clockVideo().currentTime);
      render();
    }

    play.onclick = function () { if (playing) { stop(); } else { start(); } };
    seek.oninput = function () {
      scrubbing = true;
      align((Number(seek.value) / 1000) * total());
      time.textContent = formatTime(clockVideo().currentTime);
    };
    seek.onchange = function () {
      scrubbing = false;
      if (playing) start(); // realign and go on from the new position
      render();
    };
    autoplay.checked = window.localStorage.getItem("arena-autoplay") === "1";
    autoplay.onchange = function () {
      window.localStorage.setItem("arena-autoplay", autoplay.checked ? "1" : "0");
      if (autoplay.checked && !playing) start();
    };

    videos.forEach(function (video) {
      video.addEventListener("click", function () { play.onclick(); });
      video.addEventListener("play", function () { if (!playing) start(); });
      video.addEventListener("pause", function () {
        if (playing && !starting && !video.ended) stop();
      });
      video.addEventListener("seeking", function () {
        // A seek from outside this control (ours set both before either event fires).
        const now = video.currentTime;
        if (now < (video.duration || 0) - 0.05) {
          videos.forEach(function (other) {
            if (other !== video && Math.abs(other.currentTime - Math.min(now, other.duration || now)) > DRIFT_SECONDS) {
              other.currentTime = Math.min(now, other.duration || now);
            }
          });
        }
        if (!playing) render();
      });
      video.addEventListener("ended", function () {
        if (playing && video === clockVideo()) start(); // both again from the start
      });
      video.addEventListener("loadedmetadata", render);
    });
    render();
    if (autoplay.checked) start();
  }

  const zoom = setupZoom();

  // On the result page (after a no-JS vote) only the N shortcut, the zoom and the videos apply.
  if (!root) {
    syncVideos(document.querySelector("[data-battle-card]"));
    document.addEventListener("keydown", function (event) {
      if (typingInField(event) || modified(event)) return;
      if (zoom && zoom.handleKey(event)) return;
      if (event.key.toLowerCase() === "n") {
        const next = document.querySelector("[data-next]");
        if (next) window.location.href = next.href;
      }
    });
    return;
  }

  const form = root.querySelector("[data-vote-form]");
  const buttons = Array.from(form.querySelectorAll("button[data-choice]"));
  const keys = {}; // KeyboardEvent.key, lower-cased -> choice
  const labels = {}; // choice -> what the voter reads
  buttons.forEach(function (button) {
    labels[button.dataset.choice] = button.dataset.label;
    button.dataset.keys.split(" ").forEach(function (key) { keys[key] = button.dataset.choice; });
  });
  const reveal = root.querySelector("[data-reveal]");
  const next = root.querySelector("[data-next]");
  const tokenInput = form.querySelector("[data-token-input]");
  let state = "open"; // open -> sending -> voted -> loading -> open

  function setButtons(enabled) {
    buttons.forEach(function (button) { button.disabled = !enabled; });
  }

  function say(message, isError) {
    reveal.textContent = message;
    reveal.classList.toggle("error", Boolean(isError));
    reveal.setAttribute("role", isError ? "alert" : "status");
  }

  function card() {
    return root.querySelector("[data-battle-card]");
  }

  // A fragment of HTML rendered by the server, parsed without running anything in it.
  async function fragment(url, selector) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return null;
    const holder = document.createElement("template");
    holder.innerHTML = await response.text();
    return holder.content.querySelector(selector);
  }

  function describe(side) {
    return side.display_name + " (" + side.lab + (side.country ? ", " + side.country : "") + ")";
  }

  async function vote(choice) {
    if (state !== "open") return;
    state = "sending";
    setButtons(false);
    say("Sending your vote…");
    let response;
    try {
      response = await fetch(root.dataset.apiVote, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ token: card().dataset.token, choice: choice }),
      });
    } catch (error) {
      // Network failure: the vote may or may not have arrived; a retry is idempotent.
      state = "open";
      setButtons(true);
      say("Your vote could not be sent (network error). Please try again.", true);
      return;
    }
    const body = await response.json().catch(function () { return {}; });
    if (response.status === 201) {
      state = "voted";
      buttons.forEach(function (button) {
        button.setAttribute("aria-pressed", String(button.dataset.choice === choice));
      });
      root.querySelector('[data-side="a"] [data-model-name]').textContent = ": " + describe(body.a);
      root.querySelector('[data-side="b"] [data-model-name]').textContent = ": " + describe(body.b);
      say("You voted: " + labels[choice] + ". A was " + describe(body.a) + ", B was " + describe(body.b) + ".");
      next.hidden = false;
      next.focus();
      updateVoter(body.votes_cast);
      return;
    }
    state = response.status === 429 || response.status === 409 || response.status === 410 ? "voted" : "open";
    if (state === "open") setButtons(true);
    if (state === "voted") next.hidden = false;
    say(body.detail || ("Your vote was refused (HTTP " + response.status + ")."), true);
  }

  async function updateVoter(votesCast) {
    const voter = document.getElementById("voter");
    if (!voter || typeof votesCast !== "number") return;
    voter.querySelector("[data-votes-cast]").textContent = String(votesCast);
    if (votesCast < Number(voter.dataset.minVotes)) return;
    const panel = await fragment(root.dataset.voterUrl, "#voter").catch(function () { return null; });
    // Only while the battle beside it is voted: the board names models.
    if (panel && state === "voted") voter.replaceWith(panel);
  }

  async function loadNext() {
    if (state !== "voted") return;
    state = "loading";
    let fresh;
    try {
      fresh = await fragment(root.dataset.cardUrl, "[data-battle-card]");
    } catch (error) {
      fresh = null;
    }
    if (!fresh) {
      window.location.href = next.href; // let the server page say what is wrong
      return;
    }
    card().replaceWith(fresh);
    tokenInput.value = fresh.dataset.token;
    buttons.forEach(function (button) { button.removeAttribute("aria-pressed"); });
    // The personal board names models: it must not sit beside a blind battle.
    const board = document.querySelector("[data-personal-board]");
    if (board) board.replaceChildren();
    say("");
    next.hidden = true;
    state = "open";
    setButtons(true);
    syncVideos(fresh);
    buttons[0].focus({ preventScroll: true });
    // Back to the new prompt if the voter had scrolled past it; the vote bar stays in view.
    const top = fresh.getBoundingClientRect().top;
    if (top < 0) window.scrollTo(0, window.scrollY + top - 8);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const choice = event.submitter && event.submitter.dataset.choice;
    if (choice) vote(choice);
  });

  next.addEventListener("click", function (event) {
    event.preventDefault();
    loadNext();
  });

  // Letters vote; every other key (arrows, space, page keys) keeps its usual job, so
  // scrolling never casts a vote. A held key does not repeat a vote.
  document.addEventListener("keydown", function (event) {
    if (typingInField(event) || modified(event)) return;
    if (zoom && zoom.handleKey(event)) return;
    const key = event.key.toLowerCase();
    if (key === "n") {
      if (state === "voted") { event.preventDefault(); loadNext(); }
      return;
    }
    if (keys[key] && state === "open" && !event.repeat) {
      event.preventDefault();
      vote(keys[key]);
    }
  });

  syncVideos(card());
})();
