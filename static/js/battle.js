// Progressive enhancement of the arena pages: vote without a page reload, keyboard
// shortcuts, the next battle fetched in place, image zoom and synchronised videos.
// Without JavaScript the same page works as plain forms (POST, then redirect).
(function () {
  "use strict";

  const root = document.getElementById("battle");
  const KEYS = {
    a: "a", arrowleft: "a", b: "b", arrowright: "b",
    t: "tie", arrowup: "tie", x: "both_bad", arrowdown: "both_bad",
  };
  const LABELS = { a: "A is better", b: "B is better", tie: "Tie", both_bad: "Both are bad" };

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
        body: JSON.stringify({ token: root.dataset.token, choice: choice }),
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
      say("You voted: " + LABELS[choice] + ". A was " + describe(body.a) + ", B was " + describe(body.b) + ".");
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
    const count = document.querySelector("[data-votes-cast]");
    if (count && typeof votesCast === "number") count.textContent = String(votesCast);
    const voter = document.getElementById("voter");
    if (!voter || votesCast < Number(voter.dataset.minVotes)) return;
    const response = await fetch(root.dataset.apiMe + "?modality=" + root.dataset.modality, { credentials: "same-origin" });
    if (!response.ok) return;
    const me = await response.json();
    if (!me.leaderboard) return;
    const hint = voter.querySelector("[data-board-hint]");
    if (hint) hint.remove();
    const table = document.createElement("table");
    table.className = "board";
    table.innerHTML = "<caption>Your leaderboard: win rate in your votes, ties count half</caption>" +
      "<thead><tr><th scope='col'>#</th><th scope='col'>Model</th><th scope='col'>Lab</th><th scope='col'>Votes</th><th scope='col'>Win rate</th></tr></thead>";
    const tbody = document.createElement("tbody");
    me.leaderboard.forEach(function (row, index) {
      const tr = document.createElement("tr");
      [index + 1, row.model, row.lab, row.votes, Math.round(row.win_rate * 100) + "%"].forEach(function (value) {
        const td = document.createElement("td");
        td.textContent = String(value);
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    const holder = voter.querySelector("[data-personal-board]");
    holder.replaceChildren(table);
  }

  function renderOutput(side, payload) {
    const article = root.querySelector('[data-side="' + side + '"]');
    const label = side.toUpperCase();
    article.querySelector("[data-model-name]").textContent = "";
    const body = article.querySelector("[data-output-body]");
    body.replaceChildren();
    if (payload.kind === "text") {
      const div = document.createElement("div");
      div.className = "markdown";
      div.tabIndex = 0;
      div.setAttribute("aria-label", "Answer " + label);
      div.innerHTML = payload.html; // rendered server-side by markdown-it with raw HTML disabled
      body.appendChild(div);
    } else if (payload.kind === "image") {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "zoom";
      button.dataset.zoom = payload.url;
      button.setAttribute("aria-label", "Enlarge image " + label);
      const img = document.createElement("img");
      img.src = payload.url;
      img.alt = "Image " + label;
      button.appendChild(img);
      const link = document.createElement("a");
      link.className = "full-size";
      link.href = payload.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = "Full resolution";
      body.append(button, link);
    } else {
      const video = document.createElement("video");
      Object.assign(video, { src: payload.url, controls: true, loop: true, muted: true, playsInline: true, preload: "auto" });
      video.setAttribute("aria-label", "Video " + label);
      body.appendChild(video);
    }
  }

  async function loadNext() {
    if (state !== "voted") return;
    state = "loading";
    const query = new URLSearchParams({ modality: root.dataset.modality });
    if (root.dataset.category) query.set("category", root.dataset.category);
    if (root.dataset.language) query.set("language", root.dataset.language);
    let response;
    try {
      response = await fetch(root.dataset.apiNext + "?" + query.toString(), { credentials: "same-origin" });
    } catch (error) {
      window.location.href = next.href; // let the server page say what is wrong
      return;
    }
    if (!response.ok) {
      window.location.href = next.href;
      return;
    }
    const battle = await response.json();
    root.dataset.token = battle.token;
    tokenInput.value = battle.token;
    root.querySelector("[data-prompt-text]").textContent = battle.prompt.text;
    renderOutput("a", battle.a);
    renderOutput("b", battle.b);
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
    if (KEYS[key] && state === "open") {
      event.preventDefault();
      vote(KEYS[key]);
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
