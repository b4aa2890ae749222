/* The interactive calendar: FullCalendar (static/vendor/fullcalendar) fed by GET /api/v1/calendar.
 *
 * - Times are the facility's wall clock: the calendar runs in "UTC" and is given the facility's
 *   local times without their offset, so 09:00 in Lund is 09:00 on screen wherever the browser is;
 *   an offset is put back (from the browser's time-zone data) only when a time is sent.
 * - "Now" is the server's (data-now, then each answer's `now`), never the browser's clock.
 * - Click or drag over free time: the booking form, filled with that time. Drag or stretch one's
 *   own booking: PATCH /api/v1/bookings/<id>, the same rules as any change; a refusal is shown in
 *   the API's words and the booking goes back.
 * - Without JavaScript (or if this fails) the server-drawn grid stays: it is hidden only once the
 *   calendar has drawn.
 */
(function () {
  "use strict";

  var host = document.getElementById("interactive-calendar");
  if (!host || !window.FullCalendar) {
    return;
  }
  var config = JSON.parse(document.getElementById("calendar-config").textContent);
  var words = config.words;
  var data = host.dataset;
  var zone = data.timezone;
  var serverNow = data.now;
  var free = {}; // resource key -> [[startWall, endWall], ...]
  var message = document.getElementById("calendar-message");
  var DAY = 24 * 3600 * 1000;

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  // "2026-11-17T10:00:00+01:00" -> "2026-11-17T10:00:00": the facility's wall clock.
  function wall(text) {
    return text.slice(0, 19);
  }

  // A calendar Date (its UTC fields are the wall clock) -> "2026-11-17T10:00:00".
  function wallOf(date) {
    return date.toISOString().slice(0, 19);
  }

  // The facility's offset from UTC, in minutes, at the instant ``ms``.
  function offsetAt(ms) {
    var parts = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "longOffset" }).formatToParts(
      new Date(ms)
    );
    var name = parts.filter(function (p) {
      return p.type === "timeZoneName";
    })[0].value;
    var m = /GMT([+-])(\d\d):(\d\d)/.exec(name);
    return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  }

  // A calendar Date -> RFC 3339 with the facility's offset at that wall-clock time.
  function withOffset(date) {
    var asUtc = date.getTime();
    var offset = offsetAt(asUtc - offsetAt(asUtc) * 60000);
    var sign = offset < 0 ? "-" : "+";
    var abs = Math.abs(offset);
    return wallOf(date) + sign + pad(Math.floor(abs / 60)) + ":" + pad(abs % 60);
  }

  function say(text, problem) {
    message.textContent = text;
    message.className = problem ? "calendar-message errors-box" : "calendar-message";
    if (problem) {
      message.setAttribute("role", "alert");
    } else {
      message.setAttribute("role", "status");
    }
  }

  function inFree(resource, start, end) {
    var a = wallOf(start);
    var b = wallOf(end);
    return (free[resource] || []).some(function (span) {
      return span[0] <= a && b <= span[1];
    });
  }

  function freeSpanAt(resource, start) {
    var a = wallOf(start);
    return (free[resource] || []).filter(function (span) {
      return span[0] <= a && a < span[1];
    })[0];
  }

  var leaving = false; // the form is being opened: a second gesture must not open it again
  window.addEventListener("pageshow", function () {
    leaving = false; // back to this page (from the browser's cache): gestures count again
  });

  function openBookingForm(resource, start, end) {
    if (leaving) {
      return;
    }
    leaving = true;
    var query = new URLSearchParams({
      resource: resource,
      start_date: wallOf(start).slice(0, 10),
      start_time: wallOf(start).slice(11, 16),
      end_date: wallOf(end).slice(0, 10),
      end_time: wallOf(end).slice(11, 16),
    });
    window.location.assign(data.book + "?" + query.toString());
  }

  function minMinutes(resource, answer) {
    var found = (answer.resources || []).filter(function (r) {
      return r.key === resource;
    })[0];
    return found ? found.min_minutes : 60;
  }

  // The API's events -> FullCalendar's, for the calendar of ``resource`` (or every resource).
  function toEvents(answer, resource, viewType) {
    var timeGrid = viewType.indexOf("timeGrid") === 0;
    var events = [];
    free[resource] = []; // this calendar's resource only: the columns of a day share the map
    answer.events.forEach(function (e, i) {
      if (resource && e.resource && e.resource !== resource) {
        return;
      }
      var event = {
        id: e.booking ? "booking-" + e.booking : "e" + i,
        title: e.title,
        start: wall(e.start),
        end: wall(e.end),
        classNames: ["cal-" + e.kind],
        editable: Boolean(e.movable),
        extendedProps: { kind: e.kind, booking: e.booking, resource: e.resource },
      };
      if (e.kind === "free") {
        (free[e.resource] = free[e.resource] || []).push([event.start, event.end]);
        if (!timeGrid) {
          return; // a month shows what is taken, not every free hour
        }
        event.display = "background";
      } else if (e.kind === "blackout") {
        event.display = "background";
      } else if (e.kind === "changeover" && !timeGrid) {
        return;
      }
      if (e.booking) {
        event.url = "/bookings/" + e.booking;
      }
      events.push(event);
      var crossesMidnight = event.start.slice(0, 10) !== event.end.slice(0, 10) && event.end.slice(11) !== "00:00:00";
      var days = (Date.parse(event.end + "Z") - Date.parse(event.start + "Z")) / DAY;
      if (timeGrid && ["own", "booking", "pending"].indexOf(e.kind) >= 0 && (crossesMidnight || days > 1)) {
        // A run over several days, drawn once more as one bar across them in the all-day row.
        var last = new Date(Date.parse(event.end + "Z") - 1);
        events.push({
          title: words.run + ": " + e.title,
          start: event.start.slice(0, 10),
          end: wallOf(new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth(), last.getUTCDate()) + DAY)).slice(0, 10),
          allDay: true,
          classNames: ["cal-run", "cal-" + e.kind],
          editable: false,
          url: event.url,
        });
      }
    });
    (answer.closed || []).forEach(function (c) {
      events.push({ title: c.name, start: c.date, allDay: true, display: "background", classNames: ["cal-closed"] });
    });
    return events;
  }

  var closedNames = {};

  // A day's header: "tis 24/12 · Julafton" on a closed day.
  function dayHeader(arg) {
    var name = closedNames[wallOf(arg.date).slice(0, 10)];
    return name ? arg.text + " · " + name : arg.text;
  }

  function makeCalendar(element, resource, view, headerToolbar) {
    var lastAnswer = null;
    var calendar = new window.FullCalendar.Calendar(element, {
      timeZone: "UTC",
      // The page's language, its words from the page (FullCalendar formats the dates through Intl).
      locales: [
        {
          code: data.locale,
          week: { dow: 1, doy: 4 },
          buttonText: {
            today: words.today,
            week: words.week,
            day: words.day,
            month: words.month,
            prev: "←",
            next: "→",
          },
          allDayText: words.all_day,
          moreLinkText: words.more,
          weekText: words.week_number,
        },
      ],
      locale: data.locale,
      buttonIcons: false, // words (with hints) rather than the icon font's glyphs
      buttonHints: { prev: words.previous, next: words.next, today: words.today },
      initialView: view,
      initialDate: data.date,
      now: function () {
        return serverNow;
      },
      nowIndicator: true,
      headerToolbar: headerToolbar,
      height: "auto",
      slotMinTime: pad(Number(data.firstHour)) + ":00:00",
      slotMaxTime: pad(Number(data.lastHour)) + ":00:00",
      slotDuration: "00:30:00",
      scrollTime: "07:00:00",
      allDaySlot: true,
      weekNumbers: view !== "timeGridDay",
      eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      selectable: true,
      // A click is a dateClick (the resource's shortest booking), a drag a selection: without a
      // distance a click was both, and the two opened the form twice with different ends.
      selectMinDistance: 5,
      selectMirror: true,
      unselectAuto: true,
      eventResizableFromStart: false,
      selectAllow: function (info) {
        return !info.allDay && Boolean(resource) && inFree(resource, info.start, info.end);
      },
      select: function (info) {
        openBookingForm(resource, info.start, info.end);
      },
      dateClick: function (info) {
        if (info.view.type === "dayGridMonth") {
          calendar.changeView("timeGridDay", info.dateStr);
          return;
        }
        if (info.allDay) {
          return;
        }
        var span = freeSpanAt(resource, info.date);
        if (!span) {
          say(words.not_free, true);
          return;
        }
        var end = new Date(info.date.getTime() + minMinutes(resource, lastAnswer || {}) * 60000);
        if (wallOf(end) > span[1]) {
          end = new Date(Date.parse(span[1] + "Z"));
        }
        openBookingForm(resource, info.date, end);
      },
      dayHeaderContent: dayHeader,
      events: function (info, success, failure) {
        var query = new URLSearchParams({
          from: withOffset(new Date(info.start.getTime() - DAY)),
          to: withOffset(new Date(info.end.getTime() + DAY)),
        });
        // (the first fetch comes while the calendar is being made: its initial view then)
        var viewType = calendar && calendar.view ? calendar.view.type : view;
        if (viewType.indexOf("timeGrid") !== 0) {
          query.set("free", "false"); // a month draws what is taken, not every free hour
        }
        if (data.view === "week") {
          query.set("resource", resource);
        } else {
          query.set("facility", data.facility); // one answer for every column of the facility's day
        }
        answerFor(query.toString())
          .then(function (answer) {
            lastAnswer = answer;
            serverNow = wall(answer.now);
            var named = false;
            (answer.closed || []).forEach(function (c) {
              named = named || closedNames[c.date] !== c.name;
              closedNames[c.date] = c.name;
            });
            success(toEvents(answer, resource, calendar.view.type));
            if (named) {
              // The day headers were drawn before the answer named the closed days: draw them again.
              calendar.setOption("dayHeaderContent", function (arg) {
                return dayHeader(arg);
              });
            }
          })
          .catch(function (error) {
            say(words.failed + " " + error.message, true);
            failure(error);
          });
      },
      eventDrop: move,
      eventResize: move,
    });
    return calendar;
  }

  // GET /api/v1/calendar once per query, shared by the calendars that ask the same (the columns
  // of a facility's day); forgotten after a move so that the next fetch is fresh.
  var answers = {};

  function answerFor(query) {
    if (!answers[query]) {
      answers[query] = fetch(data.source + "?" + query, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      }).then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) {
            throw new Error(messages(body));
          }
          return body;
        });
      });
      answers[query].catch(function () {
        delete answers[query];
      });
    }
    return answers[query];
  }

  function messages(body) {
    return ((body && body.errors) || [])
      .map(function (e) {
        return e.message;
      })
      .join(" ");
  }

  function move(info) {
    var booking = info.event.extendedProps.booking;
    say(words.moving, false);
    fetch(data.patch + booking, {
      method: "PATCH",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": data.csrf },
      body: JSON.stringify({ start: withOffset(info.event.start), end: withOffset(info.event.end) }),
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) {
            info.revert();
            say(words.refused + " " + messages(body), true);
            return;
          }
          say(words.moved.replace("{time}", wall(body.start).replace("T", " ").slice(0, 16) + "–" + wall(body.end).slice(11, 16)), false);
          answers = {};
          calendars.forEach(function (c) {
            c.refetchEvents();
          });
        });
      })
      .catch(function (error) {
        info.revert();
        say(words.refused + " " + error.message, true);
      });
  }

  var calendars = [];
  var views = document.getElementById("calendar-views");
  if (data.view === "week") {
    var element = document.createElement("div");
    views.appendChild(element);
    calendars.push(
      makeCalendar(element, data.resource, "timeGridWeek", {
        left: "prev,next today",
        center: "title",
        right: "timeGridWeek,dayGridMonth,timeGridDay",
      })
    );
  } else {
    // The facility's day: one column per resource, side by side.
    views.className = "calendar-columns";
    config.resources.forEach(function (r) {
      var column = document.createElement("section");
      var heading = document.createElement("h2");
      heading.textContent = r.name;
      var element = document.createElement("div");
      column.appendChild(heading);
      column.appendChild(element);
      views.appendChild(column);
      calendars.push(makeCalendar(element, r.key, "timeGridDay", false));
    });
  }
  host.hidden = false;
  say(words.hint, false);
  calendars.forEach(function (c) {
    c.render();
  });
  var fallback = document.getElementById("calendar-fallback");
  if (fallback) {
    fallback.hidden = true;
  }
})();
