// Progressive enhancement of the arena pages: vote without a page reload, keyboard
// shortcuts, the next battle fetched in place, image zoom and synchronised videos.
// Without JavaScript the same page works as plain forms (POST, then redirect).
// The page is the one source of what this script shows: the choices, their labels and keys
// come from the vote buttons, the URLs from data attributes, and the next battle's card and
// the voter's panel are HTML fragments rendered by the server's own templates.
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

  // On the result page (after a no-JS vote) only the N shortcut applies.
  if (!root) {
    document.addEventListener("keydown", function (event) {
      if (event.key.toLowerCase() === "n" && !typingInField(event) && !event.ctrlKey && !event.metaKey && !event.altKey) {
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
    setupVideos();
    buttons[0].focus();
    window.scrollTo({ top: root.offsetTop, behavior: "smooth" });
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

  document.addEventListener("keydown", function (event) {
    if (typingInField(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key.toLowerCase();
    // Arrow keys scroll a focused long answer; they vote everywhere else.
    if (key.startsWith("arrow") && event.target.closest && event.target.closest(".markdown")) return;
    if (key === "n") {
      if (state === "voted") { event.preventDefault(); loadNext(); }
      return;
    }
    if (keys[key] && state === "open") {
      event.preventDefault();
      vote(keys[key]);
    }
  });

  // Images: click or tap to zoom in a dialog; "Full resolution" opens the original.
  const dialog = document.querySelector("[data-zoom-dialog]");
  root.addEventListener("click", function (event) {
    const zoom = event.target.closest && event.target.closest("[data-zoom]");
    if (!zoom || !dialog || typeof dialog.showModal !== "function") return;
    dialog.querySelector("[data-zoom-image]").src = zoom.dataset.zoom;
    dialog.showModal();
  });

  // Videos: one control plays, pauses and seeks both; optional muted autoplay; loop.
  function setupVideos() {
    const panel = root.querySelector("[data-video-sync]");
    const videos = Array.from(root.querySelectorAll("video"));
    if (!panel || videos.length !== 2) return;
    panel.hidden = false;
    const play = panel.querySelector("[data-sync-play]");
    const seek = panel.querySelector("[data-sync-seek]");
    const autoplay = panel.querySelector("[data-sync-autoplay]");
    autoplay.checked = window.localStorage.getItem("arena-autoplay") === "1";
    const longest = function () { return Math.max.apply(null, videos.map(function (v) { return v.duration || 0; })); };
    play.onclick = function () {
      const paused = videos.every(function (v) { return v.paused; });
      videos.forEach(function (v) { if (paused) { v.play().catch(function () {}); } else { v.pause(); } });
      play.textContent = paused ? "Pause both" : "Play both";
    };
    seek.oninput = function () {
      const fraction = Number(seek.value) / 1000;
      videos.forEach(function (v) { if (v.duration) v.currentTime = Math.min(v.duration, fraction * longest()); });
    };
    videos[0].ontimeupdate = function () {
      const total = longest();
      if (total) seek.value = String(Math.round((videos[0].currentTime / total) * 1000));
    };
    autoplay.onchange = function () {
      window.localStorage.setItem("arena-autoplay", autoplay.checked ? "1" : "0");
      if (autoplay.checked) play.onclick();
    };
    if (autoplay.checked) {
      videos.forEach(function (v) { v.muted = true; v.play().catch(function () {}); });
      play.textContent = "Pause both";
    }
  }
  setupVideos();
})();
