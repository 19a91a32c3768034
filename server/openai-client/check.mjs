// Drives an akvq server with the official openai package: the model list, a chat with an image
// (a data: URL) answered whole, the same chat streamed, and a plain completion. Prints one JSON
// object with what the client library returned, for the Java test to check.
//   node check.mjs BASE_URL IMAGE_FILE QUESTION
import OpenAI from "openai";
import { readFileSync } from "node:fs";

const [baseUrl, imageFile, question] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: process.env.AKVQ_API_KEY ?? "none", maxRetries: 0 });
const image = `data:image/png;base64,${readFileSync(imageFile).toString("base64")}`;
const messages = [{ role: "user", content: [
  { type: "image_url", image_url: { url: image } },
  { type: "text", text: question },
] }];

const models = await client.models.list();
const chat = await client.chat.completions.create({ model: models.data[0].id, messages, max_tokens: 12, temperature: 0 });
const stream = await client.chat.completions.create({
  model: models.data[0].id, messages, max_tokens: 12, temperature: 0, stream: true, stream_options: { include_usage: true },
});
let streamed = "", streamedFinish = null, streamedUsage = null, chunks = 0;
for await (const chunk of stream) {
  chunks++;
  if (chunk.usage) streamedUsage = chunk.usage;
  for (const choice of chunk.choices) {
    streamed += choice.delta?.content ?? "";
    if (choice.finish_reason) streamedFinish = choice.finish_reason;
  }
}
const completion = await client.completions.create({ model: models.data[0].id, prompt: "USER: Hello ASSISTANT:", max_tokens: 4, temperature: 0 });
let refused = null;
try {
  await client.chat.completions.create({ model: "x", messages, n: 2 });
} catch (e) {
  refused = { status: e.status, param: e.param ?? e.error?.param ?? null };
}
console.log(JSON.stringify({
  model: models.data[0].id,
  chat: chat.choices[0].message.content, finish: chat.choices[0].finish_reason, usage: chat.usage, kv: chat.akvq,
  streamed, streamedFinish, streamedUsage, chunks,
  completion: completion.choices[0].text, completionTokens: completion.usage.completion_tokens,
  refused,
}));
