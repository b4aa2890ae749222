// Reads an iCalendar document on standard input with ical.js and prints its VEVENTs as JSON:
// [{uid, start, end, status, sequence, related_to}], start and end as UTC RFC 3339.
import ICAL from "ical.js";

let text = "";
process.stdin.setEncoding("utf8");
for await (const chunk of process.stdin) text += chunk;
const calendar = new ICAL.Component(ICAL.parse(text));
const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
  const event = new ICAL.Event(vevent);
  const utc = (time) => time.toJSDate().toISOString();
  return {
    uid: event.uid,
    start: utc(event.startDate),
    end: utc(event.endDate),
    status: vevent.getFirstPropertyValue("status"),
    sequence: event.sequence,
    related_to: vevent.getFirstPropertyValue("related-to") || "",
  };
});
process.stdout.write(JSON.stringify(events));
