FROM node:20
ARG NPM_TOKEN=npm_0123456789abcdefghijklmnopqrstuvwxyzAB
WORKDIR /usr/src/app
RUN npm install -g pm2 && sudo npm install -g typescript@latest
RUN bash -c "$(wget -qO- https://get.pnpm.io/install.sh)"
COPY package*.json ./
RUN npm ci
COPY . .
EXPOSE 22 3000
USER root
CMD ["pm2-runtime", "server.js"]
