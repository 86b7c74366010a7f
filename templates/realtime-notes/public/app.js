// The page: Supabase Auth to sign in, the REST API for the notes, Storage for
// attachments, Realtime for live updates. Nothing here but @supabase/supabase-js.
"use strict";
(async () => {
    const $ = (id) => document.getElementById(id);
    const say = (text, error = false) => {
        $("status").textContent = text;
        $("status").classList.toggle("error", error);
    };
    const config = await (await fetch("/config.json")).json();
    if (!config.supabaseUrl || !config.supabaseAnonKey) {
        return say("SUPABASE_URL and SUPABASE_ANON_KEY are not set: link the app to the platform's services.", true);
    }
    const client = window.supabase.createClient(config.supabaseUrl, config.supabaseAnonKey);
    const notes = () => client.schema(config.schema).from(config.table);
    const bucket = () => client.storage.from(config.bucket);
    const shown = new Map();
    let channel;

    /** Shows a note (or shows it anew after an update), in id order. */
    function render(note) {
        let item = shown.get(note.id);
        if (!item) {
            item = document.createElement("li");
            item.dataset.id = String(note.id);
            shown.set(note.id, item);
            const after = [...shown.keys()].filter((id) => id > note.id).sort((a, b) => a - b)[0];
            $("notes").insertBefore(item, after === undefined ? null : shown.get(after));
        }
        item.replaceChildren();
        const body = document.createElement("p");
        body.className = "body";
        body.textContent = note.body;
        const when = document.createElement("time");
        when.dateTime = note.created_at;
        when.textContent = new Date(note.created_at).toLocaleString();
        item.append(body, when);
        if (note.attachment) {
            const link = document.createElement("a");
            link.href = "#";
            link.className = "attachment";
            const name = note.attachment.split("/").pop();
            link.textContent = `Download ${name}`;
            link.addEventListener("click", async (event) => {
                event.preventDefault();
                const { data, error } = await bucket().download(note.attachment);
                if (error) return say(`Could not download ${name}: ${error.message}`, true);
                const save = document.createElement("a");
                save.href = URL.createObjectURL(data);
                save.download = name;
                save.click();
                setTimeout(() => URL.revokeObjectURL(save.href), 60_000);
            });
            item.append(link);
        }
    }

    function forget(id) {
        shown.get(id)?.remove();
        shown.delete(id);
    }

    async function start(user) {
        $("sign-in").hidden = true;
        $("notes-area").hidden = false;
        say(`Signed in as ${user.email}.`);
        const { data, error } = await notes().select("*").order("id");
        if (error) return say(`Could not read the notes: ${error.message}`, true);
        data.forEach(render);
        channel = client
            .channel(`notes-${config.schema}-${config.table}`)
            .on("postgres_changes", { event: "*", schema: config.schema, table: config.table }, (change) => {
                if (change.eventType === "DELETE") forget(change.old.id);
                else render(change.new);
            })
            .subscribe((state) => {
                $("live").textContent = state === "SUBSCRIBED" ? "live" : state.toLowerCase().replace("_", " ");
                $("live").classList.toggle("on", state === "SUBSCRIBED");
            });
    }

    $("sign-in").addEventListener("submit", async (event) => {
        event.preventDefault();
        const { data, error } = await client.auth.signInWithPassword({ email: $("email").value, password: $("password").value });
        if (error) return say(`Could not sign in: ${error.message}`, true);
        await start(data.user);
    });

    $("add-note").addEventListener("submit", async (event) => {
        event.preventDefault();
        const file = $("attachment").files[0];
        let attachment = null;
        if (file) {
            attachment = `${crypto.randomUUID()}/${file.name}`;
            const { error } = await bucket().upload(attachment, file, { contentType: file.type || "application/octet-stream" });
            if (error) return say(`Could not attach ${file.name}: ${error.message}`, true);
        }
        const { data, error } = await notes().insert({ body: $("body").value, attachment }).select().single();
        if (error) return say(`Could not add the note: ${error.message}`, true);
        render(data);
        $("add-note").reset();
        say("Note added.");
    });

    $("sign-out").addEventListener("click", async () => {
        if (channel) await client.removeChannel(channel);
        await client.auth.signOut();
        shown.clear();
        $("notes").replaceChildren();
        $("notes-area").hidden = true;
        $("sign-in").hidden = false;
        say("Signed out.");
    });

    const { data } = await client.auth.getSession();
    if (data.session) await start(data.session.user);
    else {
        $("sign-in").hidden = false;
        say("Sign in with the platform user's email and password.");
    }
})().catch((err) => {
    document.getElementById("status").textContent = `The page failed: ${err.message}`;
});
