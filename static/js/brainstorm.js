// The brainstorm form's helpers: a filter over the genres, the running total of their
// shares, "even split" and the idea count's − / + buttons. The form is plain HTML and works
// without any of this; the messages come translated in data- attributes.
(function () {
  "use strict";
  var form = document.querySelector("form.brainstorm");
  if (!form) return;
  var shares = Array.prototype.slice.call(form.querySelectorAll(".genre-share input"));
  var total = form.querySelector("#genre-total");
  var filter = form.querySelector("#genre-filter");
  var groups = Array.prototype.slice.call(form.querySelectorAll(".genre-group"));

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return name in values ? String(values[name]) : all;
    });
  }

  // A genre is chosen when its share is a number other than 0 (as the server reads it).
  function shareOf(input) {
    var text = input.value.trim();
    return /^[0-9]{1,3}$/.test(text) ? parseInt(text, 10) : null;
  }
  function chosen() {
    return shares.filter(function (input) {
      return input.value.trim() !== "" && shareOf(input) !== 0;
    });
  }

  function update() {
    var picked = chosen();
    var sum = picked.reduce(function (s, input) { return s + (shareOf(input) || 0); }, 0);
    var most = parseInt(total.dataset.most || "5", 10);
    var state, text;
    if (!picked.length) {
      state = "none"; text = total.dataset.none;
    } else if (picked.length > most) {
      state = "wrong"; text = say(total.dataset.many, {n: picked.length});
    } else if (sum === 100) {
      state = "ok"; text = say(total.dataset.total, {n: sum});
    } else if (sum < 100) {
      state = "short"; text = say(total.dataset.short, {n: 100 - sum});
    } else {
      state = "wrong"; text = say(total.dataset.over, {n: sum - 100});
    }
    total.textContent = text;
    total.dataset.state = state;
    groups.forEach(function (group) {
      var count = group.querySelector(".genre-count");
      var n = picked.filter(function (input) { return group.contains(input); }).length;
      count.hidden = n === 0;
      count.textContent = say(count.dataset.count, {n: n});
    });
  }

  // 100 divided among the chosen genres, the remainder to the first ones: 34, 33, 33.
  function evenSplit() {
    var picked = chosen();
    if (!picked.length) return;
    var each = Math.floor(100 / picked.length), extra = 100 - each * picked.length;
    picked.forEach(function (input, i) { input.value = String(each + (i < extra ? 1 : 0)); });
    update();
  }

  // Hide what does not match; open the groups that hold a match; closing the filter puts
  // the groups back as the writer had them.
  var opened = null;
  function applyFilter() {
    var words = filter.value.trim().toLowerCase();
    if (words && opened === null) {
      opened = groups.map(function (group) { return group.open; });
    }
    var any = false;
    groups.forEach(function (group, g) {
      var inGroup = false;
      group.querySelectorAll(".genre-sub").forEach(function (sub) {
        var inSub = false;
        sub.querySelectorAll(".genre-share").forEach(function (item) {
          var match = !words || item.dataset.terms.indexOf(words) !== -1;
          item.hidden = !match;
          inSub = inSub || match;
        });
        sub.hidden = !inSub;
        inGroup = inGroup || inSub;
      });
      group.hidden = !inGroup;
      any = any || inGroup;
      if (words) {
        group.open = inGroup;
      } else if (opened !== null) {
        group.open = opened[g] || group.querySelector(".genre-count:not([hidden])") !== null;
      }
    });
    if (!words) opened = null;
    form.querySelector("#genre-none").hidden = any;
  }

  function step(button) {
    var input = document.getElementById(button.getAttribute("aria-controls"));
    var min = parseInt(input.min, 10), max = parseInt(input.max, 10);
    var now = parseInt(input.value, 10);
    if (isNaN(now)) now = min;
    // Never disabled (that would drop the keyboard focus): the value stays within bounds.
    input.value = String(Math.min(max, Math.max(min, now + parseInt(button.dataset.step, 10))));
  }
  form.querySelectorAll(".genre-tools, button.step").forEach(function (el) { el.hidden = false; });
  form.addEventListener("input", function (event) {
    if (event.target === filter) applyFilter();
    else if (shares.indexOf(event.target) !== -1) update();
  });
  // Enter in the filter box filters; it does not send the form.
  filter.addEventListener("keydown", function (event) {
    if (event.key === "Enter") event.preventDefault();
  });
  form.querySelector("#genre-even").addEventListener("click", evenSplit);
  form.querySelectorAll("button.step").forEach(function (button) {
    button.addEventListener("click", function () { step(button); });
  });
  update();
})();
